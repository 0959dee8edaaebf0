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
    private readonly Option<int> _seconds = CheckedOption.Int("--seconds", "How long the clients call the server", 1, 3600, 12, "-s");

    private readonly Option<string> _wait = new("--wait")
    {
        Description = "How endpoints wait: default (spin 50 us, then sleep), spin, blocking",
        DefaultValueFactory = _ => "default",
    };

    private readonly Option<string?> _serve = new("--serve") { Hidden = true };

    private readonly Option<bool> _pingPong = new("--ping-pong")
    {
        Description = "The first demo instead: two processes on one node ping-pong through shared memory",
    };

    private readonly Option<string> _plot = new("--plot")
    {
        Description = "Where the latency-over-time plot (PNG) goes",
        DefaultValueFactory = _ => "dvs-demo.png",
    };

    public DemoCommand() : base("demo", "A server migrating around an embedded 3-node cluster while clients on every node call it (live view, checked replies, plot)")
    {
        _wait.AcceptOnlyFromAmong("default", "spin", "blocking");
        Add(_seconds);
        Add(_wait);
        Add(_serve);
        Add(_pingPong);
        Add(_plot);
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
            return Task.FromResult(parse.GetValue(_pingPong)
                ? PingPongDemo.Run(options, output, cancel)
                : MigrationDemo.Run(options, output, parse.GetValue(_plot) ?? "dvs-demo.png", cancel));
        });
    }
}
