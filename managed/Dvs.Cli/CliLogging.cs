using System.CommandLine;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace Dvs.Cli;

/// <summary>
/// Logging of the tool: Microsoft.Extensions.Logging to the console, all of it on stderr so stdout
/// carries only what a command prints for the user (tables, file lists). Quiet by default.
/// </summary>
internal static class CliLogging
{
    /// <summary>A logger factory for one command run; dispose it to flush the console queue.</summary>
    /// <param name="parse">The command line (<c>--verbose</c> lowers the level to Debug).</param>
    /// <param name="quiet">The level without <c>--verbose</c>: Warning for one-shot commands;
    /// Information for a node host, whose peer up / down, restarts and migration steps an operator
    /// wants to see (nothing on the per-message path logs above Debug).</param>
    public static ILoggerFactory Create(ParseResult parse, LogLevel quiet = LogLevel.Warning)
    {
        bool verbose = parse.GetValue(GlobalOptions.Verbose);
        return LoggerFactory.Create(builder => builder
            .SetMinimumLevel(verbose ? LogLevel.Debug : quiet)
            .AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.TimestampFormat = "HH:mm:ss.fff ";
                o.ColorBehavior = LoggerColorBehavior.Default;
            })
            .AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace));
    }
}
