using System.CommandLine;
using System.Diagnostics;
using HdrHistogram;

namespace Dvs.Cli.Commands;

/// <summary>
/// <c>dvs ping --node node1 --to 10</c>: SendRec calls to an endpoint (on this node or, through the
/// node hosts, on another), each reply checked, then the latency percentiles.
/// </summary>
internal sealed class PingCommand : Command
{
    private readonly EndpointOptions _endpoint = new(100);
    private readonly Option<int> _to = EndpointOptions.EndpointNumber("--to", "The endpoint to call", null);
    private readonly Option<int> _count = CheckedOption.Int("--count", "How many calls", 1, int.MaxValue, 10_000, "-n");
    private readonly Option<int> _timeout = CheckedOption.Int("--timeout-ms", "Timeout of each call", 1, int.MaxValue, 5_000);

    public PingCommand() : base("ping", "Call an endpoint with SendRec and print the round-trip percentiles")
    {
        _endpoint.AddTo(this);
        _to.Required = true;
        Add(_to);
        Add(_count);
        Add(_timeout);
        SetAction(Run);
    }

    private async Task<int> Run(ParseResult parse, CancellationToken cancel)
    {
        TextWriter output = parse.InvocationConfiguration.Output;
        TextWriter error = parse.InvocationConfiguration.Error;
        string nodeName = parse.GetValue(_endpoint.Node)!;
        int dc = parse.GetValue(_endpoint.Dc);
        int to = parse.GetValue(_to);
        int count = parse.GetValue(_count);
        var timeout = DvsTimeout.FromMilliseconds(parse.GetValue(_timeout));
        Node node;
        Endpoint self;
        try
        {
            node = Node.Attach(nodeName, _endpoint.Strategy(parse));
            self = node.Bind(dc, parse.GetValue(_endpoint.Endpoint), "ping");
        }
        catch (DvsException e)
        {
            await error.WriteLineAsync($"dvs ping: {e.Message}");
            return ExitCode.Failure;
        }
        using (node)
        using (self)
        {
            EndpointInfo? target = node.GetEndpointInfo(dc, to);
            if (target is null || target.State == "free")
            {
                // Bound on another node: wait for its announcement.
                DvsError known = node.WaitForRemote(dc, to, timeout);
                if (known != DvsError.Ok)
                {
                    await error.WriteLineAsync($"dvs ping: endpoint {to} of DC {dc} is not bound on any node known to {nodeName} ({known})");
                    return ExitCode.Failure;
                }
            }
            var histogram = new LongHistogram(60_000_000_000L, 3);
            long start = Stopwatch.GetTimestamp();
            for (int i = 0; i < count && !cancel.IsCancellationRequested; i++)
            {
                var m = new Message(7) { [0] = i };
                long t0 = Stopwatch.GetTimestamp();
                DvsError e = self.SendRec(to, ref m, timeout);
                long t1 = Stopwatch.GetTimestamp();
                if (e != DvsError.Ok)
                {
                    await error.WriteLineAsync($"dvs ping: call {i} failed: {e}");
                    return ExitCode.Failure;
                }
                if (m[0] != i)
                {
                    await error.WriteLineAsync($"dvs ping: call {i} got the reply of call {m[0]}");
                    return ExitCode.Failure;
                }
                histogram.RecordValue((t1 - t0) * 1_000_000_000L / Stopwatch.Frequency);
            }
            double seconds = (Stopwatch.GetTimestamp() - start) / (double)Stopwatch.Frequency;
            static string Us(long ns) => (ns / 1000.0).ToString("0.0");
            await output.WriteLineAsync(
                $"ping: {histogram.TotalCount} calls to endpoint {to} of DC {dc} in {seconds:0.00} s ({histogram.TotalCount / seconds:N0}/s); " +
                $"round trip us p50 {Us(histogram.GetValueAtPercentile(50))} p99 {Us(histogram.GetValueAtPercentile(99))} " +
                $"p99.9 {Us(histogram.GetValueAtPercentile(99.9))} max {Us(histogram.GetMaxValue())}");
        }
        return ExitCode.Ok;
    }
}
