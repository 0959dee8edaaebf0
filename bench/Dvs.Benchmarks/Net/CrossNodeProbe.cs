using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using Dvs.Benchmarks.Floor;
using Dvs.Benchmarks.Partners;

namespace Dvs.Benchmarks.Net;

/// <summary>
/// `--net probe [seconds]`: what a cross-node round trip costs in wake-ups and syscalls. Runs
/// SendRec round trips (the setup of CrossNodeRoundTripBenchmarks) in a loop, and meanwhile
/// `perf stat --per-thread` on this process and its partners for a few seconds; prints the
/// events per round trip per thread, then the same for the C UDP floor (blocking). Needs perf.
/// Not part of any benchmark run; a diagnostic for the report in docs/benchmarks.
/// </summary>
internal static class CrossNodeProbe
{
    private const string Events =
        "task-clock,context-switches,raw_syscalls:sys_enter,syscalls:sys_enter_futex,syscalls:sys_enter_sendmmsg," +
        "syscalls:sys_enter_recvmmsg,syscalls:sys_enter_sendto,syscalls:sys_enter_recvfrom,syscalls:sys_enter_sched_yield";

    /// <param name="seconds">How long perf counts each case.</param>
    /// <param name="which">all, or one case: rtt (SendRec), send (throughput), floor (C UDP).</param>
    internal static int Run(double seconds, string which)
    {
        FloorInterop.PinCurrentThread(Cpus.Benchmark);
        bool all = which == "all";
        foreach (var blocking in all || which == "rtt" ? new[] { false, true } : [])
        {
            using (var cluster = CrossNodeCluster.Start("echo", blocking))
            {
                var client = cluster.Client;
                var message = new Message(1);
                long done = 0;
                var stop = false;
                var loop = new Thread(() =>
                {
                    FloorInterop.PinCurrentThread(Cpus.Benchmark);
                    while (!Volatile.Read(ref stop))
                    {
                        if (client.SendRec(CrossNodeCluster.ServerEndpoint, ref message, DvsTimeout.FromMilliseconds(10_000)) != DvsError.Ok)
                        {
                            throw new InvalidOperationException("SendRec failed");
                        }
                        Interlocked.Increment(ref done);
                    }
                }) { Name = "probe client" };
                loop.Start();
                SpinWait.SpinUntil(() => Interlocked.Read(ref done) > 5_000);
                Measure($"Dvs SendRec node1 -> node0 echo, endpoints {(blocking ? "Blocking" : "Default")}", seconds, () => Interlocked.Read(ref done), cluster.Node1);
                Volatile.Write(ref stop, true);
                loop.Join();
            }
        }
        if (all || which == "send")
        {
            using (var cluster = CrossNodeCluster.Start("sink"))
            {
                var client = cluster.Client;
                long done = 0;
                var stop = false;
                var loop = new Thread(() =>
                {
                    FloorInterop.PinCurrentThread(Cpus.Benchmark);
                    var m = new Message(1);
                    long next = 0;
                    var timeout = DvsTimeout.FromMilliseconds(10_000);
                    while (!Volatile.Read(ref stop))
                    {
                        for (var i = 0; i < ProbeBatch; i++)
                        {
                            m[0] = next++;
                            if (client.Send(CrossNodeCluster.ServerEndpoint, in m, timeout) != DvsError.Ok)
                            {
                                throw new InvalidOperationException("Send failed");
                            }
                        }
                        var drain = new Message(DvsSink.Drain);
                        if (client.SendRec(CrossNodeCluster.ServerEndpoint, ref drain, timeout) != DvsError.Ok)
                        {
                            throw new InvalidOperationException("drain failed");
                        }
                        Interlocked.Add(ref done, ProbeBatch);
                    }
                }) { Name = "probe sender" };
                loop.Start();
                SpinWait.SpinUntil(() => Interlocked.Read(ref done) > 50_000);
                using var node0 = Node.Attach(cluster.Node0Name);
                var before = Counters(node0);
                var before1 = Counters(cluster.Node1);
                var sent = Interlocked.Read(ref done);
                Measure($"Dvs Send node1 -> node0 sink, per message (batches of {ProbeBatch} + drain)", seconds, () => Interlocked.Read(ref done), cluster.Node1);
                sent = Interlocked.Read(ref done) - sent;
                var after = Counters(node0);
                var after1 = Counters(cluster.Node1);
                Console.WriteLine("node0 host, per 1000 messages: " + string.Join(", ",
                    CountersShown.Select((c, i) => $"{c} {(after[i] - before[i]) * 1000.0 / sent:F2}")));
                Console.WriteLine("node1 host, per 1000 messages: " + string.Join(", ",
                    CountersShown.Select((c, i) => $"{c} {(after1[i] - before1[i]) * 1000.0 / sent:F2}")));
                Volatile.Write(ref stop, true);
                loop.Join();
            }
        }
        if (!all && which != "floor")
        {
            return 0;
        }
        var port = NetPorts.FreeUdp();
        using (var partner = PartnerProcess.Start(Path.Combine(AppContext.BaseDirectory, "dvs-udp-floor"), ["echo", port.ToString(), Cpus.Partner.ToString(), "block"]))
        {
            if (UdpFloorInterop.Open(port, 0, out var fd) != 0)
            {
                throw new InvalidOperationException($"udp floor: errno {Marshal.GetLastPInvokeError()}");
            }
            long done = 0;
            var stop = false;
            var loop = new Thread(() =>
            {
                FloorInterop.PinCurrentThread(Cpus.Benchmark);
                while (!Volatile.Read(ref stop))
                {
                    UdpFloorInterop.PingPong(fd, 100, 0);
                    Interlocked.Add(ref done, 100);
                }
            }) { Name = "probe udp" };
            loop.Start();
            SpinWait.SpinUntil(() => Interlocked.Read(ref done) > 2_000);
            Measure("C UDP floor, blocking", seconds, () => Interlocked.Read(ref done), null);
            Volatile.Write(ref stop, true);
            loop.Join();
            UdpFloorInterop.Close(fd);
        }
        return 0;
    }

    private static void Measure(string title, double seconds, Func<long> count, Node? node)
    {
        var frames = node?.GetCounter(NodeCounter.FramesSent) ?? 0;
        var bytes = node?.GetCounter(NodeCounter.BytesSent) ?? 0;
        var retransmissions = node?.GetCounter(NodeCounter.Retransmissions) ?? 0;
        var pids = new List<int> { Environment.ProcessId };
        pids.AddRange(Children(Environment.ProcessId));
        var info = new ProcessStartInfo("perf")
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        foreach (var a in new[] { "stat", "--per-thread", "-x", ",", "-e", Events, "-p", string.Join(',', pids), "--", "sleep", seconds.ToString(CultureInfo.InvariantCulture) })
        {
            info.ArgumentList.Add(a);
        }
        var before = count();
        var clock = Stopwatch.StartNew();
        using var perf = Process.Start(info)!;
        var output = perf.StandardError.ReadToEnd();
        perf.WaitForExit();
        var trips = count() - before;
        var elapsed = clock.Elapsed.TotalSeconds;
        Console.WriteLine($"## {title}: {trips} in {elapsed:F2} s, {elapsed * 1e6 / trips:F2} µs each (perf attached)");
        if (node is not null)
        {
            frames = node.GetCounter(NodeCounter.FramesSent) - frames;
            bytes = node.GetCounter(NodeCounter.BytesSent) - bytes;
            Console.WriteLine($"node1 host sent {(double)frames / trips:F3} frames and {(double)bytes / trips:F0} bytes per operation, "
                + $"retransmitted {(double)(node.GetCounter(NodeCounter.Retransmissions) - retransmissions) / trips:F4} frames per operation");
        }
        // Lines: comm-tid,count,unit,event,...; summed per thread name (the tid dropped).
        var rows = new SortedDictionary<(string Thread, string Event), long>();
        foreach (var line in output.Split('\n'))
        {
            var f = line.Split(',');
            if (f.Length < 4 || !double.TryParse(f[1], CultureInfo.InvariantCulture, out var value) || value == 0)
            {
                continue;
            }
            var n = f[3] == "task-clock" ? (long)(value * 1000) : (long)value;
            var thread = f[0].Trim();
            var dash = thread.LastIndexOf('-');
            thread = dash > 0 ? thread[..dash] : thread;
            var key = (thread, f[3].Replace("task-clock", "CPU µs").Replace("syscalls:sys_enter_", "").Replace("raw_syscalls:sys_enter", "syscalls"));
            rows[key] = rows.GetValueOrDefault(key) + n;
        }
        Console.WriteLine("| thread | event | per operation |");
        Console.WriteLine("|---|---|---|");
        foreach (var ((thread, ev), n) in rows)
        {
            // task-clock comes in ms (as a decimal); shown as µs of CPU per operation.
            var per = (double)n / trips;
            if (per >= 0.05)
            {
                Console.WriteLine($"| {thread} | {ev} | {per:F2} |");
            }
        }
        foreach (var ev in rows.Keys.Select(k => k.Event).Distinct())
        {
            Console.WriteLine($"| all | {ev} | {(double)rows.Where(r => r.Key.Event == ev).Sum(r => r.Value) / trips:F2} |");
        }
        Console.WriteLine();
        // DVS_PROBE_RECORD=<folder>: also a CPU profile (perf record) of the same processes; run
        // with DOTNET_PerfMapEnabled=1 so that perf report names the JIT-compiled methods.
        if (Environment.GetEnvironmentVariable("DVS_PROBE_RECORD") is { Length: > 0 } folder)
        {
            var file = Path.Combine(folder, $"perf-{string.Concat(title.Where(char.IsLetterOrDigit)).ToLowerInvariant()}.data");
            using var record = Process.Start("perf", ["record", "-F", "2000", "-g", "-o", file, "-p", string.Join(',', pids), "--", "sleep", "1"])!;
            record.WaitForExit();
            Console.WriteLine($"profile: {file}");
        }
    }

    /// <summary>Messages per Send batch (closed by one drain SendRec); DVS_PROBE_BATCH, default 1000.</summary>
    private static readonly int ProbeBatch = int.TryParse(Environment.GetEnvironmentVariable("DVS_PROBE_BATCH"), out var b) ? b : 1000;

    private static readonly NodeCounter[] CountersShown =
    [
        NodeCounter.FramesReceived, NodeCounter.FramesSent, NodeCounter.InboundBackPressure, NodeCounter.DropFullRing,
        NodeCounter.DropDuplicate, NodeCounter.Retransmissions, NodeCounter.InboundOverflowed, NodeCounter.OutboundBackPressure,
    ];

    private static long[] Counters(Node node) => CountersShown.Select(node.GetCounter).ToArray();

    private static IEnumerable<int> Children(int pid)
    {
        foreach (var task in Directory.EnumerateDirectories($"/proc/{pid}/task"))
        {
            var file = Path.Combine(task, "children");
            if (!File.Exists(file))
            {
                continue;
            }
            foreach (var child in File.ReadAllText(file).Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                yield return int.Parse(child, CultureInfo.InvariantCulture);
            }
        }
    }
}
