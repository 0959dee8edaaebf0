using System.Diagnostics;
using HdrHistogram;
using Spectre.Console;
using Recorder = HdrHistogram.Recorder;

namespace Dvs.Cli.Demo;

/// <summary>
/// <c>dvs demo</c>: an embedded node host, a server in a second process and a client here doing
/// SendRec as fast as it can; a live view of the rate and latency percentiles, then a summary in
/// which every reply was checked against its request (lost, duplicated and out-of-order counts).
/// </summary>
internal static class PingPongDemo
{
    private const int ClientEndpoint = 2;

    public static int Run(DemoOptions options, TextWriter output, CancellationToken cancel)
    {
        string nodeName = $"demo-{Environment.ProcessId}";
        using NodeHost host = NodeHost.Start(new NodeHostOptions { NodeName = nodeName });
        using Node node = host.Attach(options.Wait);
        using Process server = StartServer(nodeName, options.WaitName);
        try
        {
            string? ready = server.StandardOutput.ReadLine();
            if (ready != "ready")
            {
                output.WriteLine($"dvs demo: the server process did not start ({ready ?? "no output"})");
                return ExitCode.Failure;
            }
            using Endpoint client = node.Bind(0, ClientEndpoint, "demo-client");
            var recorder = new Recorder(1, 10_000_000_000L, 3, (id, low, high, digits) => new LongHistogram(id, low, high, digits));
            var totals = new LongHistogram(10_000_000_000L, 3);
            var stats = new Counters();
            var stop = CancellationTokenSource.CreateLinkedTokenSource(cancel);
            stop.CancelAfter(options.Duration);
            var load = new Thread(() => Drive(client, recorder, stats, stop.Token)) { Name = "demo-client", IsBackground = true };
            load.Start();

            Render(options, output, recorder, totals, stats, load);
            load.Join();

            var stopRequest = new Message(DemoServer.StopType);
            DvsError stopped = client.SendRec(DemoServer.Endpoint, ref stopRequest, DvsTimeout.FromMilliseconds(10_000));
            long executed = stopped == DvsError.Ok ? stopRequest[0] : -1;
            server.WaitForExit(10_000);
            totals.Add(recorder.GetIntervalHistogram());
            PrintSummary(output, options, totals, stats, executed);
            return stats.Errors == 0 && stats.Mismatched == 0 && executed == stats.Calls ? ExitCode.Ok : ExitCode.Failure;
        }
        finally
        {
            if (!server.HasExited)
            {
                server.Kill(entireProcessTree: true);
                server.WaitForExit();
            }
        }
    }

    private static Process StartServer(string nodeName, string waitName)
    {
        // The same executable, as `dvs demo --serve <node>`; under `dotnet dvs.dll` the host is dotnet.
        string self = Environment.ProcessPath!;
        var info = new ProcessStartInfo(self) { RedirectStandardOutput = true, UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(self) == "dotnet")
        {
            info.ArgumentList.Add(typeof(PingPongDemo).Assembly.Location);
        }
        foreach (string a in new[] { "demo", "--serve", nodeName, "--wait", waitName })
        {
            info.ArgumentList.Add(a);
        }
        return Process.Start(info)!;
    }

    private static void Drive(Endpoint client, Recorder recorder, Counters stats, CancellationToken stop)
    {
        long sequence = 0;
        while (!stop.IsCancellationRequested)
        {
            // Check the token every 256 calls only: it is a volatile read, but the loop is ~1 us.
            for (int i = 0; i < 256; i++)
            {
                var m = new Message(7) { [0] = sequence };
                long start = Stopwatch.GetTimestamp();
                DvsError error = client.SendRec(DemoServer.Endpoint, ref m, DvsTimeout.FromMilliseconds(5_000));
                long elapsed = Stopwatch.GetTimestamp() - start;
                if (error != DvsError.Ok)
                {
                    Interlocked.Increment(ref stats.Errors);
                    continue;
                }
                // The reply must answer this request: same sequence, and the server's count of
                // executed requests must be ours + 1 (nothing lost, nothing executed twice).
                if (m[0] != sequence || m[1] != sequence + 1)
                {
                    Interlocked.Increment(ref stats.Mismatched);
                }
                sequence++;
                Volatile.Write(ref stats.Calls, sequence);
                recorder.RecordValue(elapsed * 1_000_000_000L / Stopwatch.Frequency);
            }
        }
    }

    private static void Render(DemoOptions options, TextWriter output, Recorder recorder, LongHistogram totals, Counters stats, Thread load)
    {
        var interval = TimeSpan.FromMilliseconds(500);
        long lastCalls = 0;
        long lastTick = Stopwatch.GetTimestamp();
        var rows = new List<string[]>();

        string[] Sample()
        {
            HistogramBase h = recorder.GetIntervalHistogram();
            totals.Add(h);
            long now = Stopwatch.GetTimestamp();
            long calls = Volatile.Read(ref stats.Calls);
            double seconds = (now - lastTick) / (double)Stopwatch.Frequency;
            double rate = (calls - lastCalls) / Math.Max(seconds, 1e-9);
            lastCalls = calls;
            lastTick = now;
            return
            [
                $"{calls:N0}", $"{rate:N0}", Micros(h.GetValueAtPercentile(50)), Micros(h.GetValueAtPercentile(99)),
                Micros(h.GetValueAtPercentile(99.9)), Micros(h.GetMaxValue()),
            ];
        }

        if (!options.Live)
        {
            output.WriteLine("calls        calls/s     p50 us   p99 us   p99.9 us   max us");
            while (!load.Join(TimeSpan.FromSeconds(1)))
            {
                string[] r = Sample();
                output.WriteLine($"{r[0],-12} {r[1],-11} {r[2],-8} {r[3],-8} {r[4],-10} {r[5]}");
            }
            return;
        }

        var table = NewTable();
        AnsiConsole.Live(table).Start(ctx =>
        {
            while (!load.Join(interval))
            {
                string[] r = Sample();
                table.Rows.Clear();
                table.AddRow(r);
                table.Caption($"[grey]two processes, SendRec over a shared-memory ring, wait: {options.WaitName}[/]");
                ctx.Refresh();
            }
        });
    }

    private static Table NewTable()
    {
        var table = new Table().Border(TableBorder.Rounded).Title("[bold]dvs demo[/]: ping-pong between two processes");
        foreach (string c in new[] { "calls", "calls/s", "p50 µs", "p99 µs", "p99.9 µs", "max µs" })
        {
            table.AddColumn(new TableColumn(c).RightAligned());
        }
        return table;
    }

    private static void PrintSummary(TextWriter output, DemoOptions options, LongHistogram totals, Counters stats, long executed)
    {
        double seconds = options.Duration.TotalSeconds;
        output.WriteLine();
        output.WriteLine($"dvs demo: {stats.Calls:N0} SendRec round trips in {seconds:0.#} s ({stats.Calls / seconds:N0}/s), wait strategy {options.WaitName}");
        output.WriteLine($"  latency us: p50 {Micros(totals.GetValueAtPercentile(50))}  p90 {Micros(totals.GetValueAtPercentile(90))}  " +
                         $"p99 {Micros(totals.GetValueAtPercentile(99))}  p99.9 {Micros(totals.GetValueAtPercentile(99.9))}  max {Micros(totals.GetMaxValue())}");
        long lost = executed < 0 ? -1 : Math.Max(0, stats.Calls - executed);
        long duplicated = executed < 0 ? -1 : Math.Max(0, executed - stats.Calls);
        output.WriteLine($"  checked every reply: lost {lost}, duplicated {duplicated}, mismatched or out of order {stats.Mismatched}, errors {stats.Errors}");
        output.WriteLine($"  server executed {executed:N0} requests");
    }

    private static string Micros(long nanos) => (nanos / 1000.0).ToString("0.00");

    private sealed class Counters
    {
        public long Calls;
        public long Errors;
        public long Mismatched;
    }
}
