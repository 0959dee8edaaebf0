using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Dvs.Services;
using HdrHistogram;
using Spectre.Console;
using Recorder = HdrHistogram.Recorder;

namespace Dvs.Cli.Demo;

/// <summary>
/// <c>dvs demo</c>: an embedded 3-node cluster on loopback (three node hosts with their proxies,
/// UDP between them), a key-value server hosted on node 0 and clients on every node calling it
/// as fast as they can, while the server migrates around the nodes. Every reply is checked: a
/// client increments its own key, so its n-th reply must be n (a gap is a lost request, a repeat
/// a duplicated one, a step back a reordering). A live view per node, then a summary and a
/// latency-over-time plot (PNG) with each migration marked.
/// </summary>
internal sealed class MigrationDemo
{
    private const int Nodes = 3;
    private const int ClientsPerNode = 2;
    private const int Server = 10;
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(200);

    private readonly DemoOptions _options;
    private readonly TextWriter _output;
    private readonly NodeHost[] _hosts = new NodeHost[Nodes];
    private readonly Node[] _nodes = new Node[Nodes];
    private readonly ClientStats[] _clients = new ClientStats[Nodes * ClientsPerNode];
    private readonly List<(double At, int From, int To, MigrationResult Result)> _migrations = new();
    private readonly List<(double At, double P50, double P99, double Max)> _timeline = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private int _serverNode;

    private MigrationDemo(DemoOptions options, TextWriter output)
    {
        _options = options;
        _output = output;
    }

    public static int Run(DemoOptions options, TextWriter output, string plotPath, CancellationToken cancel)
    {
        var demo = new MigrationDemo(options, output);
        try
        {
            demo.Start();
            return demo.Drive(plotPath, cancel);
        }
        finally
        {
            demo.Stop();
        }
    }

    private void Start()
    {
        int[] ports = Enumerable.Range(0, Nodes).Select(_ => FreePort()).ToArray();
        byte[] key = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32);
        string stem = $"demo{Environment.ProcessId}";
        for (int i = 0; i < Nodes; i++)
        {
            var network = new NetworkOptions { Listen = new IPEndPoint(IPAddress.Loopback, ports[i]), ClusterKey = key, Mtu = Dvs.Configuration.LocalNodeConfig.MaxMtu };
            for (int p = 0; p < Nodes; p++)
            {
                if (p != i)
                {
                    network.Peers.Add(new PeerOptions { NodeId = p, Name = $"node{p}", Address = new IPEndPoint(IPAddress.Loopback, ports[p]) });
                }
            }
            _hosts[i] = NodeHost.Start(new NodeHostOptions
            {
                NodeName = $"{stem}-node{i}",
                NodeId = i,
                Cluster = stem,
                Dcs = new List<DcOptions> { new() { DcId = 0, Name = "dc0", Nodes = (1UL << Nodes) - 1 } },
                Network = network,
            });
            _hosts[i].RegisterServiceKind(KeyValueService.KindName, () => new KeyValueService());
        }
        for (int i = 0; i < Nodes; i++)
        {
            _nodes[i] = _hosts[i].Attach(_options.Wait);
        }
        ((KeyValueService)_hosts[0].HostService(0, Server, KeyValueService.KindName).Service).Ballast = 64 * 1024;
        for (int i = 1; i < Nodes; i++)
        {
            DvsError known = _nodes[i].WaitForRemote(0, Server, DvsTimeout.FromMilliseconds(10_000));
            if (known != DvsError.Ok)
            {
                throw new DvsException(known, $"node{i} did not learn of the server");
            }
        }
    }

    private int Drive(string plotPath, CancellationToken cancel)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        var threads = new List<Thread>();
        for (int n = 0; n < Nodes; n++)
        {
            for (int c = 0; c < ClientsPerNode; c++)
            {
                var stats = _clients[n * ClientsPerNode + c] = new ClientStats(n, 100 + n * 10 + c);
                Endpoint endpoint = _nodes[n].Bind(0, stats.Endpoint, $"client{n}.{c}");
                var thread = new Thread(() => Call(endpoint, stats, stop.Token)) { IsBackground = true, Name = $"demo-client-{stats.Endpoint}" };
                threads.Add(thread);
                thread.Start();
            }
        }
        var migrator = new Thread(() => Migrate(stop.Token)) { IsBackground = true, Name = "demo-migrator" };
        migrator.Start();

        Render(stop);
        stop.Cancel();
        migrator.Join();
        foreach (Thread t in threads)
        {
            t.Join();
        }
        return Summarize(plotPath);
    }

    private void Call(Endpoint endpoint, ClientStats stats, CancellationToken stop)
    {
        using (endpoint)
        {
            long expected = 1;
            while (!stop.IsCancellationRequested)
            {
                var m = new Message(KeyValueService.Increment) { [0] = endpoint.Number };
                long t0 = Stopwatch.GetTimestamp();
                DvsError error = endpoint.SendRec(Server, ref m, DvsTimeout.FromMilliseconds(10_000));
                long t1 = Stopwatch.GetTimestamp();
                if (error != DvsError.Ok)
                {
                    Interlocked.Increment(ref stats.Errors);
                    continue;
                }
                long value = m[0];
                if (value > expected)
                {
                    Interlocked.Add(ref stats.Lost, value - expected);
                }
                else if (value == expected - 1)
                {
                    Interlocked.Increment(ref stats.Duplicated);
                }
                else if (value < expected)
                {
                    Interlocked.Increment(ref stats.Reordered);
                }
                expected = value + 1;
                Interlocked.Increment(ref stats.Calls);
                stats.Recorder.RecordValue(Math.Max(1, (t1 - t0) * 1_000_000_000L / Stopwatch.Frequency));
            }
        }
    }

    /// <summary>Moves the server to the next node every 1.2 s until the end (the last move leaves time to settle).</summary>
    private void Migrate(CancellationToken stop)
    {
        TimeSpan every = TimeSpan.FromMilliseconds(1200);
        while (!stop.WaitHandle.WaitOne(every) && _clock.Elapsed < _options.Duration - every)
        {
            int from = _serverNode;
            int to = (from + 1) % Nodes;
            double at = _clock.Elapsed.TotalSeconds;
            MigrationResult result = _hosts[from].Migrate(0, Server, to);
            lock (_migrations)
            {
                _migrations.Add((at, from, to, result));
            }
            if (result.IsOk)
            {
                _serverNode = to;
            }
        }
    }

    private void Render(CancellationTokenSource stop)
    {
        var end = _clock.Elapsed + _options.Duration;
        if (!_options.Live)
        {
            _output.WriteLine("time    node  calls/s    p50 us   p99 us   server  migrations  lost dup reordered");
            for (int tick = 1; _clock.Elapsed < end && !stop.IsCancellationRequested; tick++)
            {
                Thread.Sleep(Interval); // the demo's own pace (no synchronization depends on it)
                Snapshot s = Sample();
                if (tick % 5 == 0)
                {
                    foreach (string line in s.Lines)
                    {
                        _output.WriteLine(line);
                    }
                }
            }
            return;
        }
        Table table = NewTable();
        AnsiConsole.Live(table).AutoClear(false).Start(ctx =>
        {
            while (_clock.Elapsed < end && !stop.IsCancellationRequested)
            {
                Thread.Sleep(Interval);
                Snapshot s = Sample();
                table.Rows.Clear();
                foreach (string[] row in s.Rows)
                {
                    table.AddRow(row);
                }
                table.Caption($"[grey]server on node{_serverNode} · {s.Migrations} migrations · {_clock.Elapsed.TotalSeconds:0.0} s of {_options.Duration.TotalSeconds:0} s[/]");
                ctx.Refresh();
            }
        });
    }

    private static Table NewTable()
    {
        var table = new Table().Border(TableBorder.Rounded)
            .Title("[bold]dvs demo[/]: a key-value server migrating around a 3-node cluster while every node calls it");
        foreach (string c in new[] { "node", "state", "endpoints", "calls/s", "p50 µs", "p99 µs", "server", "migrations", "lost", "duplicated", "reordered" })
        {
            table.AddColumn(new TableColumn(c).RightAligned());
        }
        return table;
    }

    private readonly long[] _lastCalls = new long[Nodes];
    private long _lastTick = Stopwatch.GetTimestamp();

    private Snapshot Sample()
    {
        long now = Stopwatch.GetTimestamp();
        double seconds = Math.Max(1e-6, (now - _lastTick) / (double)Stopwatch.Frequency);
        _lastTick = now;
        int migrations;
        lock (_migrations)
        {
            migrations = _migrations.Count(m => m.Result.IsOk);
        }
        var rows = new List<string[]>();
        var lines = new List<string>();
        var all = new LongHistogram(60_000_000_000L, 3);
        for (int n = 0; n < Nodes; n++)
        {
            var h = new LongHistogram(60_000_000_000L, 3);
            long calls = 0, lost = 0, dup = 0, reordered = 0;
            foreach (ClientStats c in _clients.Where(c => c.Node == n))
            {
                h.Add(c.Recorder.GetIntervalHistogram());
                calls += Interlocked.Read(ref c.Calls);
                lost += Interlocked.Read(ref c.Lost);
                dup += Interlocked.Read(ref c.Duplicated);
                reordered += Interlocked.Read(ref c.Reordered);
            }
            all.Add(h);
            double rate = (calls - _lastCalls[n]) / seconds;
            _lastCalls[n] = calls;
            int endpoints = _nodes[n].ListEndpoints(0).Count(e => e.State == "local");
            string server = _serverNode == n ? "[green]●[/]" : "";
            string p50 = Micros(h.TotalCount == 0 ? 0 : h.GetValueAtPercentile(50));
            string p99 = Micros(h.TotalCount == 0 ? 0 : h.GetValueAtPercentile(99));
            rows.Add([$"node{n}", _nodes[(n + 1) % Nodes].GetPeerState(n), endpoints.ToString(), $"{rate:N0}", p50, p99, server,
                migrations.ToString(), Zero(lost), Zero(dup), Zero(reordered)]);
            lines.Add($"{_clock.Elapsed.TotalSeconds,6:0.0}  node{n} {rate,9:N0} {p50,9} {p99,8}   {(_serverNode == n ? "yes" : ""),-6}  {migrations,10}  {lost} {dup} {reordered}");
        }
        if (all.TotalCount > 0)
        {
            _timeline.Add((_clock.Elapsed.TotalSeconds, all.GetValueAtPercentile(50) / 1000.0, all.GetValueAtPercentile(99) / 1000.0,
                all.GetMaxValue() / 1000.0));
        }
        return new Snapshot(rows, lines, migrations);
    }

    private static string Zero(long v) => v == 0 ? "[green]0[/]" : $"[red]{v}[/]";

    private static string Micros(long nanos) => (nanos / 1000.0).ToString("0.0");

    private int Summarize(string plotPath)
    {
        long calls = _clients.Sum(c => c.Calls);
        long lost = _clients.Sum(c => c.Lost), dup = _clients.Sum(c => c.Duplicated), reordered = _clients.Sum(c => c.Reordered);
        long errors = _clients.Sum(c => c.Errors);
        var ok = _migrations.Where(m => m.Result.IsOk).ToList();
        ServiceHost? host = _hosts[_serverNode].FindService(0, Server);
        long executed = host is null ? -1 : ((KeyValueService)host.Service).Executed;
        _output.WriteLine();
        _output.WriteLine($"dvs demo: {calls:N0} calls from {_clients.Length} clients on {Nodes} nodes in {_options.Duration.TotalSeconds:0} s; " +
                          $"{ok.Count} migrations ({string.Join(" ", ok.Select(m => $"{m.From}->{m.To}"))}), server now on node{_serverNode}");
        foreach (var m in _migrations.Where(m => !m.Result.IsOk))
        {
            _output.WriteLine($"  {m.Result}");
        }
        if (ok.Count > 0)
        {
            _output.WriteLine($"  migration time ms: median {Median(ok.Select(m => m.Result.Elapsed.TotalMilliseconds)):0.0}, max {ok.Max(m => m.Result.Elapsed.TotalMilliseconds):0.0}");
        }
        _output.WriteLine($"  checked every reply: lost {lost}, duplicated {dup}, reordered {reordered}, errors {errors}; server executed {executed:N0} requests for {calls:N0} replies");
        try
        {
            WritePlot(plotPath);
            _output.WriteLine($"  latency over time, migrations marked: {Path.GetFullPath(plotPath)}");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or TypeInitializationException or DllNotFoundException)
        {
            _output.WriteLine($"  (no plot: {e.Message})");
        }
        return lost == 0 && dup == 0 && reordered == 0 && errors == 0 && executed == calls ? ExitCode.Ok : ExitCode.Failure;
    }

    private static double Median(IEnumerable<double> values)
    {
        double[] v = values.OrderBy(x => x).ToArray();
        return v.Length == 0 ? 0 : v[v.Length / 2];
    }

    private void WritePlot(string path) =>
        LatencyPlot.Create(_timeline, _migrations.Where(m => m.Result.IsOk).Select(m => (m.At, $"{m.From}->{m.To}")), _options.Duration.TotalSeconds)
            .SavePng(path, 1200, 500);

    private void Stop()
    {
        foreach (Node? n in _nodes)
        {
            n?.Dispose();
        }
        foreach (NodeHost? h in _hosts)
        {
            h?.Dispose();
        }
    }

    private static int FreePort()
    {
        using var s = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        s.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)s.LocalEndPoint!).Port;
    }

    private sealed record Snapshot(List<string[]> Rows, List<string> Lines, int Migrations);

    private sealed class ClientStats(int node, int endpoint)
    {
        public readonly int Node = node;
        public readonly int Endpoint = endpoint;
        public readonly Recorder Recorder = new(1, 60_000_000_000L, 3, (id, low, high, digits) => new LongHistogram(id, low, high, digits));
        public long Calls;
        public long Lost;
        public long Duplicated;
        public long Reordered;
        public long Errors;
    }
}
