using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Dvs.Benchmarks.Results;
using Dvs.Services;

namespace Dvs.Benchmarks.Migration;

/// <summary>
/// Issue 5, point 6, as a measured program (not BenchmarkDotNet: a migration is a one-off event
/// of milliseconds to seconds, with clients running around it):
///   dotnet run -c Release --project bench/Dvs.Benchmarks -- --migration [--migrations 50] [--no-results]
/// (a) stall: a "kv" service with 64 KiB of state migrates node0 -> node1 -> node2 -> node0 ...
///     while one client per node increments its own key at full speed (every reply checked). The
///     stall of a migration is the largest gap between two consecutive replies of any client
///     that overlaps the migration; p50 / p99 / max over all migrations, beside the same statistic
///     for windows of the same length without a migration (what the machine does anyway).
/// (b) total time: NodeHost.Migrate (MigrationResult.Elapsed) with no ballast (the fixed cost), 64 KiB, 1 MiB and 100 MiB of
///     state and no clients, beside a raw TCP transfer of the same bytes over loopback between
///     two sockets of this process (where the three node hosts live), and beside the time to
///     take the snapshot alone (MemoryPack of the state).
/// Writes docs/benchmarks/&lt;date&gt;-migration.md.
/// </summary>
internal static class MigrationBenchmark
{
    private const int Server = 10;
    private const int StallState = 64 * 1024;
    private const int WarmUpMigrations = 3;
    private static readonly int[] Sizes = [0, 64 * 1024, 1024 * 1024, 100 * 1024 * 1024];
    private static readonly DvsTimeout CallTimeout = DvsTimeout.FromMilliseconds(30_000);

    internal static int Run(string[] args)
    {
        var migrations = OptionInt(args, "--migrations", 50);
        var write = !args.Contains("--no-results");
        // --part a (stall only) or b (total time only); both by default.
        var part = OptionString(args, "--part", "ab");
        // The results file's name: <date>-migration<suffix>.md.
        var suffix = OptionString(args, "--results-suffix", "");
        // --client-wait blocking: the clients sleep for their replies instead of spinning 50 us
        // first (the default), so a client calling a service on its own node does not keep a
        // vCPU busy that the node hosts' proxies need (a fairer setup on 2 vCPUs, documented).
        var blocking = OptionString(args, "--client-wait", "default") == "blocking";
        var text = new StringBuilder();
        var machine = MachineInfo.Current();
        var now = DateTime.UtcNow;
        text.AppendLine(CultureInfo.InvariantCulture, $"# Benchmarks: migration, {now:yyyy-MM-dd HH:mm} UTC");
        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"- CPU: {machine.CpuModel}, {machine.Cores} cores");
        text.AppendLine(CultureInfo.InvariantCulture, $"- Kernel: {machine.Kernel}");
        text.AppendLine(CultureInfo.InvariantCulture, $"- .NET: {machine.Runtime}");
        text.AppendLine("- Three embedded node hosts in one process, UDP on 127.0.0.1, the \"kv\" service (KeyValueService, Ballast = state size).");
        text.AppendLine("- Reproduce: `dotnet run -c Release --project bench/Dvs.Benchmarks -- --migration [--part a|b] [--client-wait blocking] [--results-suffix -2]`.");
        text.AppendLine(CultureInfo.InvariantCulture, $"- Load average (1, 5, 15 min) at start: {LoadAverage()} (the machine is shared with other sessions; see the end for the load after the run).");
        text.AppendLine(CultureInfo.InvariantCulture, $"- Clients' wait strategy: {(blocking ? "WaitStrategy.Blocking (sleep at once; `--client-wait blocking`)" : "the default (spin 50 us, yield, sleep)")}.");
        text.AppendLine();
        using (var cluster = new MigrationCluster(TimeSpan.FromMinutes(5), blocking ? WaitStrategy.Blocking : null))
        {
            if (part.Contains('a'))
            {
                Stall(cluster, migrations, text);
            }
            Console.Write(text);
            Console.Out.Flush();
            var mark = text.Length;
            if (part.Contains('b'))
            {
                TotalTime(cluster, text);
            }
            Console.Write(text.ToString(mark, text.Length - mark));
        }
        text.AppendLine(CultureInfo.InvariantCulture, $"Load average at the end: {LoadAverage()}.");
        if (write)
        {
            var folder = Path.Combine(RepositoryRoot(), "docs", "benchmarks");
            Directory.CreateDirectory(folder);
            var path = Path.Combine(folder, $"{now:yyyy-MM-dd}-migration{suffix}.md");
            File.WriteAllText(path, text.ToString());
            Console.WriteLine($"results written to {path}");
        }
        return 0;
    }

    // ------------------------------------------------------------------ (a) stall

    private sealed class Client
    {
        internal required Endpoint Endpoint { get; init; }
        internal long[] Replies { get; } = new long[4_000_000];
        internal int Count;
        internal string? Failure;
    }

    private static void Stall(MigrationCluster cluster, int migrations, StringBuilder text)
    {
        var service = cluster.Hosts[0].HostService(0, Server, KeyValueService.KindName);
        ((KeyValueService)service.Service).Ballast = StallState;
        for (var i = 1; i < MigrationCluster.Count; i++)
        {
            Check(cluster.Nodes[i].WaitForRemote(0, Server, CallTimeout), "the service appears on every node");
        }
        var clients = Enumerable.Range(0, MigrationCluster.Count)
            .Select(n => new Client { Endpoint = cluster.Nodes[n].Bind(0, 100 + n) })
            .ToArray();
        using var stop = new CancellationTokenSource();
        var threads = clients.Select(c => new Thread(() => Call(c, stop.Token)) { Name = $"client {c.Endpoint.Number}" }).ToArray();
        foreach (var t in threads)
        {
            t.Start();
        }
        var windows = new List<(long Start, long End)>();
        var elapsed = new List<double>();
        var at = 0;
        try
        {
            // Let the clients warm up (JIT, first remote calls) before the first move, and warm
            // the migration path itself up (JIT) with moves that are not counted.
            WaitForProgress(clients, 2_000);
            for (var i = 0; i < WarmUpMigrations; i++)
            {
                WaitForProgress(clients, 200);
                var to = (at + 1) % MigrationCluster.Count;
                Check(cluster.Hosts[at].Migrate(0, Server, to).Error, "warm-up migration");
                at = to;
            }
            for (var i = 0; i < migrations; i++)
            {
                // Under load: each migration only after every client made progress since the last.
                WaitForProgress(clients, 200);
                var to = (at + 1) % MigrationCluster.Count;
                var start = Stopwatch.GetTimestamp();
                var result = cluster.Hosts[at].Migrate(0, Server, to);
                var end = Stopwatch.GetTimestamp();
                Check(result.Error, $"migration {i + 1}: {result}");
                windows.Add((start, end));
                elapsed.Add(result.Elapsed.TotalMilliseconds);
                at = to;
            }
            WaitForProgress(clients, 200);
        }
        finally
        {
            stop.Cancel();
            foreach (var t in threads)
            {
                t.Join();
            }
        }
        foreach (var c in clients)
        {
            c.Endpoint.Dispose();
            if (c.Failure is not null)
            {
                throw new InvalidOperationException(c.Failure);
            }
        }
        var executed = ((KeyValueService)cluster.Hosts[at].FindService(0, Server)!.Service).Executed;
        var calls = clients.Sum(c => (long)c.Count);
        if (executed != calls)
        {
            throw new InvalidOperationException($"{calls} calls but {executed} executed");
        }
        // Move the service back to node0 for part (b).
        if (at != 0)
        {
            Check(cluster.Hosts[at].Migrate(0, Server, 0).Error, "moving the service back to node0");
        }

        var stalls = windows.Select(w => LargestGap(clients, w.Start, w.End)).ToList();
        // Windows of the same length without a migration: from the middle of each quiet stretch.
        var quiet = new List<double>();
        for (var i = 0; i + 1 < windows.Count; i++)
        {
            var length = windows[i].End - windows[i].Start;
            var mid = (windows[i].End + windows[i + 1].Start) / 2;
            if (windows[i + 1].Start - windows[i].End > 2 * length)
            {
                quiet.Add(LargestGap(clients, mid - length / 2, mid + length / 2));
            }
        }
        var seconds = Stopwatch.GetElapsedTime(clients.Min(c => c.Replies[0]), clients.Max(c => c.Replies[c.Count - 1])).TotalSeconds;
        text.AppendLine(CultureInfo.InvariantCulture, $"## (a) Client-visible stall, {StallState / 1024} KiB of state, {migrations} migrations under load (after {WarmUpMigrations} not counted)");
        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"{clients.Length} clients (one per node, each incrementing its own key at full speed, every reply checked): {calls} calls in {seconds:F1} s ({calls / seconds:F0} calls/s), executed exactly once each ({executed}).");
        text.AppendLine("Stall = the largest gap between two consecutive replies of any client overlapping the migration (from Migrate called to Migrate returned).");
        text.AppendLine();
        text.AppendLine("| | p50 | p90 | p99 | max |");
        text.AppendLine("|---|---|---|---|---|");
        text.AppendLine(Row("stall per migration", stalls));
        text.AppendLine(Row("largest gap, same-length windows without migration", quiet));
        text.AppendLine(Row("migration time (MigrationResult.Elapsed)", elapsed));
        text.AppendLine();
        var p99 = Percentile(stalls, 0.99);
        text.AppendLine(CultureInfo.InvariantCulture, $"Stalls in order (ms): {string.Join(' ', stalls.Select(x => x.ToString("F2", CultureInfo.InvariantCulture)))}");
        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"Target, stall p99 < 1 ms with 64 KiB: {p99:F3} ms, {(p99 < 1.0 ? "met" : $"NOT met ({p99:F2}x the target)")}.");
        text.AppendLine();
    }

    private static void Call(Client client, CancellationToken stop)
    {
        try
        {
            long n = 0;
            while (!stop.IsCancellationRequested && client.Count < client.Replies.Length)
            {
                var m = new Message(KeyValueService.Increment) { [0] = client.Endpoint.Number };
                var e = client.Endpoint.SendRec(Server, ref m, CallTimeout);
                var now = Stopwatch.GetTimestamp();
                if (e != DvsError.Ok || m[0] != n + 1)
                {
                    client.Failure = $"client {client.Endpoint.Number} call {n + 1}: {e}, reply {m[0]}";
                    return;
                }
                n++;
                client.Replies[client.Count] = now;
                Volatile.Write(ref client.Count, client.Count + 1);
            }
        }
        catch (Exception e)
        {
            client.Failure = e.ToString();
        }
    }

    private static void WaitForProgress(Client[] clients, int calls)
    {
        var before = clients.Select(c => Volatile.Read(ref c.Count)).ToArray();
        var ok = SpinWait.SpinUntil(
            () => clients.Select((c, i) => Volatile.Read(ref c.Count) - before[i] >= calls || c.Failure is not null).All(x => x),
            TimeSpan.FromSeconds(60));
        var failed = clients.FirstOrDefault(c => c.Failure is not null);
        if (failed is not null || !ok)
        {
            throw new InvalidOperationException(failed?.Failure ?? "the clients made no progress for 60 s");
        }
    }

    /// <summary>The largest gap (ms) between consecutive replies of any client overlapping [start, end].</summary>
    private static double LargestGap(Client[] clients, long start, long end)
    {
        long largest = 0;
        foreach (var c in clients)
        {
            var replies = c.Replies.AsSpan(0, c.Count);
            // First reply at or after start; the gap before it overlaps the window too.
            var k = replies.BinarySearch(start);
            k = k < 0 ? ~k : k;
            for (var j = Math.Max(k, 1); j < replies.Length; j++)
            {
                largest = Math.Max(largest, replies[j] - replies[j - 1]);
                if (replies[j] >= end)
                {
                    break;
                }
            }
        }
        return largest * 1000.0 / Stopwatch.Frequency;
    }

    // ------------------------------------------------------------------ (b) total time

    private static void TotalTime(MigrationCluster cluster, StringBuilder text)
    {
        text.AppendLine("## (b) Total migration time against a raw transfer of the same bytes");
        text.AppendLine();
        text.AppendLine("NodeHost.Migrate from Migrate called to commit acknowledged (MigrationResult.Elapsed: snapshot into the node's reused buffer (kv is pre-copied: it is not paused for that), transfer as bulk frames over the proxies' reliable UDP session, restore on the target, pause and delta, commit), no clients; back and forth between node0 and node1.");
        text.AppendLine("Raw (one after each migration) = the same number of bytes written to a TCP socket on 127.0.0.1 and read by another socket of this process (the process of the node hosts), until the last byte is read. Snapshot = `KeyValueService.Snapshot()` alone (MemoryPack). Medians.");
        text.AppendLine();
        text.AppendLine("HMAC alone = HMAC-SHA256 over the same bytes in 64 KiB pieces, once, on one thread (the wire authenticates every frame: the sender computes it and the receiver checks it, so an authenticated transfer costs at least this much CPU on each side; not part of raw TCP).");
        text.AppendLine();
        text.AppendLine("| state | runs | state bytes moved | Dvs migration | raw TCP transfer | snapshot alone | HMAC alone | Dvs / raw | Dvs throughput |");
        text.AppendLine("|---|---|---|---|---|---|---|---|---|");
        if (cluster.Hosts[0].FindService(0, Server) is null)
        {
            cluster.Hosts[0].HostService(0, Server, KeyValueService.KindName);   // --part b alone
            Check(cluster.Nodes[1].WaitForRemote(0, Server, CallTimeout), "the service appears on node1");
        }
        var at = 0;
        double? ratio100 = null;
        string? perRun = null;
        foreach (var size in Sizes)
        {
            // 5 at 100 MiB: the first move each way allocates that node's reused buffers (page faults), so
            // with 3 the median was a cold run; all runs are listed below the table.
            var runs = size >= 100 * 1024 * 1024 ? 5 : 7;
            var kv = (KeyValueService)cluster.Hosts[at].FindService(0, Server)!.Service;
            kv.Ballast = size;
            var snapshot = new List<double>();
            for (var i = 0; i < runs; i++)
            {
                var clock = Stopwatch.StartNew();
                var bytes = kv.Snapshot();
                snapshot.Add(clock.Elapsed.TotalMilliseconds);
                GC.KeepAlive(bytes);
            }
            var hmac = new List<double>();
            for (var i = 0; i < Math.Min(runs, 3); i++)
            {
                hmac.Add(HmacTime(size + 65));
            }
            var dvs = new List<double>();
            var raw = new List<double>();
            long moved = 0;
            for (var i = 0; i < runs; i++)
            {
                var to = 1 - at;
                var result = cluster.Hosts[at].Migrate(0, Server, to);
                Check(result.Error, $"migration of {size} B: {result}");
                dvs.Add(result.Elapsed.TotalMilliseconds);
                moved = result.StateBytes;
                at = to;
                // Interleaved, so both see the same machine (other sessions share it).
                raw.Add(RawTcp(moved));
            }
            double d = Median(dvs), r = Median(raw);
            if (size >= 100 * 1024 * 1024)
            {
                ratio100 = d / r;
            }
            text.AppendLine(CultureInfo.InvariantCulture,
                $"| {Size(size)} | {runs} | {moved} | {d:F2} ms | {r:F2} ms | {Median(snapshot):F2} ms | {Median(hmac):F2} ms | {d / r:F1}x | {moved / (d / 1000) / (1024 * 1024):F0} MiB/s |");
            Console.WriteLine($"{Size(size)}: Dvs {d:F2} ms, raw {r:F2} ms");
            if (size >= 100 * 1024 * 1024)
            {
                perRun = string.Create(CultureInfo.InvariantCulture,
                    $"{Size(size)}, each run in order (Dvs / raw, ms): {string.Join(", ", dvs.Zip(raw, (a, b) => $"{a:F0} / {b:F0}"))}.");
            }
        }
        ((KeyValueService)cluster.Hosts[at].FindService(0, Server)!.Service).Ballast = 0;
        text.AppendLine();
        if (perRun is not null)
        {
            text.AppendLine(perRun);
            text.AppendLine();
        }
        if (ratio100 is { } x)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"Target, 100 MiB in at most 1.5x the raw transfer: {x:F1}x, {(x <= 1.5 ? "met" : $"NOT met ({x / 1.5:F1}x over the target)")}.");
        }
        text.AppendLine();
    }

    /// <summary>Milliseconds to HMAC-SHA256 <paramref name="bytes"/> (a warm buffer) in 64 KiB pieces, as the wire does per bulk frame.</summary>
    private static double HmacTime(long bytes)
    {
        var piece = new byte[65_507];
        Span<byte> tag = stackalloc byte[32];
        using var hmac = System.Security.Cryptography.IncrementalHash.CreateHMAC(
            System.Security.Cryptography.HashAlgorithmName.SHA256, new byte[32]);
        var clock = Stopwatch.StartNew();
        for (long done = 0; done < bytes; done += piece.Length)
        {
            hmac.AppendData(piece.AsSpan(0, (int)Math.Min(piece.Length, bytes - done)));
            hmac.GetHashAndReset(tag);
        }
        return clock.Elapsed.TotalMilliseconds;
    }

    /// <summary>Milliseconds to move <paramref name="bytes"/> over TCP loopback, first byte written to last byte read.</summary>
    private static double RawTcp(long bytes)
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        using var sender = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        sender.Connect(listener.LocalEndPoint!);
        using var receiver = listener.Accept();
        var data = new byte[bytes];
        Random.Shared.NextBytes(data);
        var into = new byte[bytes];
        // The reader waits in Receive before the clock starts, so its thread start is not timed.
        long last = 0;
        var reader = new Thread(() =>
        {
            long got = 0;
            while (got < bytes)
            {
                var n = receiver.Receive(into.AsSpan((int)got, (int)Math.Min(1 << 20, bytes - got)));
                if (n <= 0)
                {
                    throw new InvalidOperationException("raw transfer: the socket closed early");
                }
                got += n;
            }
            last = Stopwatch.GetTimestamp();
        });
        reader.Start();
        Thread.Sleep(10);   // not synchronization: only keeps the reader's start-up out of the time
        var first = Stopwatch.GetTimestamp();
        sender.Send(data);
        reader.Join();
        return Stopwatch.GetElapsedTime(first, last).TotalMilliseconds;
    }

    // ------------------------------------------------------------------ helpers

    private static string Row(string what, List<double> values) => values.Count == 0
        ? $"| {what} | - | - | - | - |"
        : string.Create(CultureInfo.InvariantCulture, $"| {what} | {Percentile(values, 0.5):F3} ms | {Percentile(values, 0.9):F3} ms | {Percentile(values, 0.99):F3} ms | {values.Max():F3} ms |");

    private static double Median(List<double> values) => Percentile(values, 0.5);

    /// <summary>Nearest-rank percentile.</summary>
    private static double Percentile(List<double> values, double p)
    {
        var sorted = values.Order().ToArray();
        var rank = (int)Math.Ceiling(p * sorted.Length) - 1;
        return sorted[Math.Clamp(rank, 0, sorted.Length - 1)];
    }

    private static string Size(int bytes) => bytes == 0 ? "none (fixed cost)" : bytes >= 1024 * 1024 ? $"{bytes / (1024 * 1024)} MiB" : $"{bytes / 1024} KiB";

    private static void Check(DvsError error, string what)
    {
        if (error != DvsError.Ok)
        {
            throw new InvalidOperationException($"{what}: {error}");
        }
    }

    private static int OptionInt(string[] args, string option, int fallback)
    {
        var at = Array.IndexOf(args, option);
        return at >= 0 && at + 1 < args.Length ? int.Parse(args[at + 1], CultureInfo.InvariantCulture) : fallback;
    }

    private static string OptionString(string[] args, string option, string fallback)
    {
        var at = Array.IndexOf(args, option);
        return at >= 0 && at + 1 < args.Length ? args[at + 1] : fallback;
    }

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(", ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "unknown";

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Dvs.sln")))
            {
                return dir.FullName;
            }
        }
        return Directory.GetCurrentDirectory();
    }
}
