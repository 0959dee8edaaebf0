using Spectre.Console;

namespace Dvs.Cli;

/// <summary>Spectre.Console over the writer a command was given (the real stdout, or a test's capture).</summary>
internal static class CliConsole
{
    /// <summary>
    /// An <see cref="IAnsiConsole"/> writing to <paramref name="writer"/>: with colors when that is the
    /// process's own stdout and a terminal, plain text otherwise (files, pipes, tests).
    /// </summary>
    public static IAnsiConsole For(TextWriter writer)
    {
        bool real = ReferenceEquals(writer, Console.Out) && !Console.IsOutputRedirected;
        return AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(writer),
            Ansi = real ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = real ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
        });
    }
}
