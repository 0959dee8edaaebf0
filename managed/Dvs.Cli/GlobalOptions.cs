using System.CommandLine;

namespace Dvs.Cli;

/// <summary>Options every command accepts.</summary>
internal static class GlobalOptions
{
    /// <summary><c>--verbose</c>: log at Debug level instead of only warnings and errors.</summary>
    public static readonly Option<bool> Verbose = new("--verbose", "-v")
    {
        Description = "Log more (debug level); by default only warnings and errors are logged",
        Recursive = true,
    };
}
