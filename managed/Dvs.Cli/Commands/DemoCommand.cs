using System.CommandLine;

namespace Dvs.Cli.Commands;

/// <summary><c>dvs demo</c>: two processes ping-pong and print live rate and latency percentiles.</summary>
internal sealed class DemoCommand : Command
{
    public DemoCommand() : base("demo", "Two processes ping-pong through Dvs, printing live rate and latency percentiles")
    {
        SetAction(parse =>
        {
            parse.InvocationConfiguration.Error.WriteLine("dvs demo: not implemented yet in this build.");
            return ExitCode.Usage;
        });
    }
}
