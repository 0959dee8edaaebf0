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
    public static ILoggerFactory Create(ParseResult parse)
    {
        bool verbose = parse.GetValue(GlobalOptions.Verbose);
        return LoggerFactory.Create(builder => builder
            .SetMinimumLevel(verbose ? LogLevel.Debug : LogLevel.Warning)
            .AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.TimestampFormat = "HH:mm:ss.fff ";
                o.ColorBehavior = LoggerColorBehavior.Default;
            })
            .AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace));
    }
}
