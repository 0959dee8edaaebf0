using Dvs.Cli;

namespace Dvs.Tests.Cli;

/// <summary>Runs the dvs command line in-process with captured output, as Main would run it.</summary>
internal static class CliRun
{
    public static CliResult Run(params string[] args) => RunAsync(args, CancellationToken.None).GetAwaiter().GetResult();

    public static async Task<CliResult> RunAsync(string[] args, CancellationToken cancel, ObservedWriter? output = null)
    {
        output ??= new ObservedWriter();
        var error = new ObservedWriter();
        int code = await DvsCommandLine.RunAsync(args, output, error, handleSignals: false, cancel);
        return new CliResult(code, output.Text, error.Text);
    }
}
