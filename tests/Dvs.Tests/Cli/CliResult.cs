namespace Dvs.Tests.Cli;

/// <summary>Exit code and captured output of one dvs run.</summary>
internal sealed record CliResult(int ExitCode, string Output, string Error)
{
    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Output}--- stderr\n{Error}";
}
