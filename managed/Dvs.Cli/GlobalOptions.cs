using System.CommandLine;

namespace Dvs.Cli;

/// <summary>Options every command accepts.</summary>
internal static class GlobalOptions
{
    /// <summary><c>--verbose</c>: log at Debug level (by default node run logs at Information, the other commands warnings and errors).</summary>
    public static readonly Option<bool> Verbose = new("--verbose", "-v")
    {
        Description = "Log more (debug level); by default node run logs at information level, other commands only warnings and errors",
        Recursive = true,
    };
}
