namespace Dvs.Cli.Demo;

/// <summary>What <c>dvs demo</c> runs: for how long, and how its endpoints wait.</summary>
internal sealed record DemoOptions(TimeSpan Duration, WaitStrategy Wait, string WaitName, bool Live);
