using System.CommandLine;
using Dvs.Cli.Demo;

namespace Dvs.Cli.Commands;

/// <summary>
/// <c>dvs demo</c>: an embedded node host, a server process and a client here ping-ponging
/// SendRec, with a live view of rate and latency percentiles and a checked summary.
/// <c>--serve</c> is the server's own (hidden) mode.
/// </summary>
internal sealed class DemoCommand : Command
{
    private readonly Option<int> _seconds = new("--seconds", "-s")
    {
        Description = "How long the client calls the server",
        DefaultValueFactory = _ => 10,
    };

    private readonly Option<string> _wait = new("--wait")
    {
        Description = "How endpoints wait: default (spin 50 us, then sleep), spin, blocking",
        DefaultValueFactory = _ => "default",
    };

    private readonly Option<string?> _serve = new("--serve") { Hidden = true };

    public DemoCommand() : base("demo", "Two processes ping-pong through Dvs, printing live rate and latency percentiles")
    {
        _wait.AcceptOnlyFromAmong("default", "spin", "blocking");
        _seconds.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() is < 1 or > 3600)
            {
                r.AddError("--seconds must be 1..3600");
            }
        });
        Add(_seconds);
        Add(_wait);
        Add(_serve);
        SetAction((parse, cancel) =>
        {
            TextWriter output = parse.InvocationConfiguration.Output;
            string waitName = parse.GetValue(_wait) ?? "default";
            WaitStrategy wait = waitName switch
            {
                "spin" => WaitStrategy.Spinning,
                "blocking" => WaitStrategy.Blocking,
                _ => WaitStrategy.Default,
            };
            string? serve = parse.GetValue(_serve);
            if (!string.IsNullOrEmpty(serve))
            {
                return Task.FromResult(DemoServer.Run(serve, wait, output));
            }
            bool live = ReferenceEquals(output, Console.Out) && !Console.IsOutputRedirected;
            var options = new DemoOptions(TimeSpan.FromSeconds(parse.GetValue(_seconds)), wait, waitName, live);
            return Task.FromResult(PingPongDemo.Run(options, output, cancel));
        });
    }
}
