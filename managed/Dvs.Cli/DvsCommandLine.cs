using System.CommandLine;
using System.CommandLine.Parsing;
using Dvs.Cli.Commands;

namespace Dvs.Cli;

/// <summary>
/// The <c>dvs</c> command line: the root command and one run of it. <see cref="RunAsync"/> is what
/// Main calls and what tests call in-process with their own writers.
/// </summary>
internal static class DvsCommandLine
{
    /// <summary>Builds the command tree: demo, node run, config check, config init.</summary>
    public static RootCommand CreateRoot()
    {
        var root = new RootCommand("Dvs: distributed virtualization IPC for .NET (endpoints in distributed containers over a cluster of nodes)")
        {
            GlobalOptions.Verbose,
            new DemoCommand(),
            new EchoCommand(),
            new PingCommand(),
            new NodeCommand(),
            new MigrateCommand(),
            new StatusCommand(),
            new TopCommand(),
            new ConfigCommand(),
        };
        // The assembly is Dvs.Cli (see the csproj), but the command people type is dvs.
        root.HelpName = "dvs";
        foreach (VersionOption version in root.Options.OfType<VersionOption>())
        {
            version.Action = new VersionAction();
        }
        return root;
    }

    /// <summary>
    /// Parses and runs one command line. Usage errors print to <paramref name="error"/> and give
    /// <see cref="ExitCode.Usage"/> (System.CommandLine alone would give 1, which here means a
    /// runtime failure). Blocks for as long as the command runs (node run: until cancelled).
    /// </summary>
    /// <param name="args">The arguments, without the program name.</param>
    /// <param name="output">Where commands print for the user.</param>
    /// <param name="error">Where errors go.</param>
    /// <param name="handleSignals">Whether Ctrl-C and SIGTERM cancel the command (the real process);
    /// tests cancel through <paramref name="cancel"/> instead.</param>
    /// <param name="cancel">Stops a long-running command (node run) cleanly.</param>
    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error,
        bool handleSignals, CancellationToken cancel)
    {
        ParseResult parse = CreateRoot().Parse(args);
        if (parse.Errors.Count > 0)
        {
            // What the user typed wrong first ("dvs bogus": 'bogus'), then what is missing.
            IEnumerable<ParseError> errors = parse.Errors
                .OrderBy(e => parse.UnmatchedTokens.Any(t => e.Message.Contains($"'{t}'", StringComparison.Ordinal)) ? 0 : 1);
            foreach (ParseError parseError in errors)
            {
                await error.WriteLineAsync($"dvs: {parseError.Message}");
            }

            await error.WriteLineAsync("Run 'dvs --help' (or 'dvs <command> --help') for usage.");
            return ExitCode.Usage;
        }

        var invocation = new InvocationConfiguration
        {
            Output = output,
            Error = error,
            // Lets a node host finish stopping after Ctrl-C / SIGTERM before the process is ended.
            ProcessTerminationTimeout = handleSignals ? TimeSpan.FromSeconds(10) : null,
        };
        return await parse.InvokeAsync(invocation, cancel);
    }
}
