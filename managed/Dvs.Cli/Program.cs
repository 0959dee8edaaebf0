namespace Dvs.Cli;

/// <summary>Entry point of the <c>dvs</c> tool.</summary>
internal static class Program
{
    public static Task<int> Main(string[] args) =>
        DvsCommandLine.RunAsync(args, Console.Out, Console.Error, handleSignals: true, CancellationToken.None);
}
