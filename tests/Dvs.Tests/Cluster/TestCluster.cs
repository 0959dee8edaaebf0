using System.Net;
using System.Net.Sockets;
using Dvs.Configuration;
using Dvs.FaultRelay;
using Dvs.Hosting;
using Dvs.Ipc;

namespace Dvs.Tests.Cluster;

/// <summary>
/// A cluster of node host processes on 127.0.0.1 for one test: a temporary folder with a fresh key
/// file and one ini file per node, names unique to this run (so parallel runs and leftovers never
/// clash: node names name the shared-memory segments), free UDP ports, and optionally a fault relay
/// process between every pair of hosts. Everything it started is stopped, and its files and
/// segments removed, on dispose. Not thread-safe.
/// </summary>
internal sealed class TestCluster : IDisposable
{
    private const int StartAttempts = 3;
    private readonly NodeProcess?[] _hosts;
    private readonly List<RelayProcess> _relays = [];
    private readonly List<string> _relayPairs = [];

    private TestCluster(int nodeCount, string id)
    {
        Id = id;
        Directory = Path.Combine(Path.GetTempPath(), "dvs-cluster-" + id);
        System.IO.Directory.CreateDirectory(Directory);
        _hosts = new NodeProcess?[nodeCount];
    }

    /// <summary>Unique to this cluster; part of every name.</summary>
    public string Id { get; }

    public string Directory { get; }

    public string ClusterName => "c" + Id;

    public string KeyFile => Path.Combine(Directory, LocalCluster.KeyFileName);

    /// <summary>The key text (also in <see cref="KeyFile"/>).</summary>
    public string KeyText { get; private set; } = "";

    public int NodeCount => _hosts.Length;

    /// <summary>UDP port each host listens on, by node id.</summary>
    public int[] Ports { get; private set; } = [];

    public string NodeName(int id) => $"{ClusterName}n{id}";

    public string IniPath(int id) => Path.Combine(Directory, $"node{id}.ini");

    public NodeProcess Host(int id) => _hosts[id] ?? throw new InvalidOperationException($"node {id} is not running");

    /// <summary>
    /// Writes the files and starts every host (in parallel), each up when this returns. A start that
    /// fails (e.g. a port taken between picking and binding it) is retried with new ports.
    /// </summary>
    /// <param name="dcs">DCs as (name, dcid), each spanning every node; default one DC dc0 (dcid 0).</param>
    /// <param name="peerDownMs">Silence after which a peer is down: long by default, so a test that is
    /// not about failures never sees a peer "die" of a busy machine.</param>
    /// <param name="faults">When set, a relay with these faults between every pair of hosts; pair k
    /// uses seed <c>faults.Seed + k</c>.</param>
    /// <param name="services">Hosted services, each written into the ini file of its node.</param>
    /// <param name="crashPoints">Nodes whose first host kills itself at a point of the migration
    /// protocol (Dvs.Hosting.FaultPoint); a restarted host is not armed.</param>
    public static TestCluster Start(int nodeCount = 3, IReadOnlyList<(string Name, int DcId)>? dcs = null,
        FaultOptions? faults = null, int heartbeatMs = 100, int peerDownMs = 5000,
        IReadOnlyList<(int Node, ServiceConfig Service)>? services = null, IReadOnlyList<(int Node, string Point)>? crashPoints = null)
    {
        string? failure = null;
        for (int attempt = 0; attempt < StartAttempts; attempt++)
        {
            var cluster = new TestCluster(nodeCount, Guid.NewGuid().ToString("N")[..10]);
            try
            {
                failure = cluster.TryStart(dcs ?? [("dc0", 0)], faults, heartbeatMs, peerDownMs, services ?? [], crashPoints ?? []);
                if (failure is null)
                {
                    return cluster;
                }
                TestContext.Progress.WriteLine($"cluster {cluster.Id} attempt {attempt + 1}: {failure}");
            }
            catch
            {
                cluster.Dispose();
                throw;
            }
            cluster.Dispose();
        }
        throw new AssertionException($"the cluster did not start in {StartAttempts} attempts: {failure}");
    }

    /// <summary>Starts node <paramref name="id"/>'s host again with the same file (after a kill).</summary>
    public NodeProcess Restart(int id)
    {
        _hosts[id]?.Dispose();
        _hosts[id] = null;
        _hosts[id] = NodeProcess.Start(NodeName(id), IniPath(id));
        return _hosts[id]!;
    }

    /// <summary>Attaches this (test) process to node <paramref name="id"/>, as an application would.</summary>
    public Node Attach(int id) => Node.Attach(NodeName(id));

    /// <summary>Connects to the control socket of node <paramref name="id"/>'s host.</summary>
    public ControlClient Control(int id) => ControlClient.ForNode(NodeName(id));

    /// <summary>Stops every relay (peers then no longer reach each other) and returns the counter
    /// lines each printed ("a->b received=… forwarded=…", then "b->a …"), by pair "i-j".</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> StopRelays()
    {
        var counters = new Dictionary<string, IReadOnlyList<string>>();
        foreach ((string pair, RelayProcess relay) in _relayPairs.Zip(_relays))
        {
            counters[pair] = relay.Stop();
            relay.Dispose();
        }
        _relays.Clear();
        _relayPairs.Clear();
        return counters;
    }

    public void Dispose()
    {
        // SIGTERM first so hosts remove their segments; whatever is left is removed below.
        Parallel.ForEach(_hosts.Where(h => h is not null && !h.HasExited), h => h!.Stop());
        foreach (NodeProcess? h in _hosts)
        {
            h?.Dispose();
        }
        foreach (RelayProcess relay in _relays)
        {
            foreach (string line in relay.Stop())
            {
                TestContext.Progress.WriteLine($"[relay {relay.Pid}] {line}");
            }
            relay.Dispose();
        }
        for (int id = 0; id < NodeCount; id++)
        {
            string segment = "/dev/shm" + NodeSegment.SegmentNameOf(NodeName(id));
            if (File.Exists(segment))
            {
                File.Delete(segment);
            }
            File.Delete(NodeIncarnation.PathOf(NodeName(id)));   // the node name is not used again
            // A killed host leaves its control socket behind.
            if (ControlSocketPath.Find(NodeName(id)) is { } socket)
            {
                File.Delete(socket);
            }
        }
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // a file still open by a dying process; the folder name is unique, so it harms nobody
        }
    }

    private string? TryStart(IReadOnlyList<(string Name, int DcId)> dcs, FaultOptions? faults, int heartbeatMs, int peerDownMs,
        IReadOnlyList<(int Node, ServiceConfig Service)> services, IReadOnlyList<(int Node, string Point)> crashPoints)
    {
        KeyText = ClusterKey.Generate();
        ClusterKey.WriteFile(KeyFile, KeyText, overwrite: true);
        Ports = FreeUdpPorts(NodeCount);

        // Where node i sends to reach node j: j's own port, or the relay of the pair.
        var route = new IPEndPoint[NodeCount, NodeCount];
        int pair = 0;
        for (int i = 0; i < NodeCount; i++)
        {
            for (int j = i + 1; j < NodeCount; j++)
            {
                IPEndPoint a = new(IPAddress.Loopback, Ports[i]), b = new(IPAddress.Loopback, Ports[j]);
                if (faults is null)
                {
                    route[i, j] = b;
                    route[j, i] = a;
                    continue;
                }
                RelayProcess relay = RelayProcess.Start($"relay {i}-{j}", a, b, faults with { Seed = faults.Seed + pair++ });
                _relays.Add(relay);
                _relayPairs.Add($"{i}-{j}");
                route[i, j] = relay.ForA;
                route[j, i] = relay.ForB;
            }
        }

        var cluster = new ClusterConfig
        {
            Name = ClusterName, Key = ClusterKey.FromText(KeyText), KeyFile = KeyFile,
            HeartbeatMs = heartbeatMs, PeerDownMs = peerDownMs,
        };
        int[] all = Enumerable.Range(0, NodeCount).ToArray();
        DcConfig[] dcConfigs = dcs.Select(d => new DcConfig { Name = d.Name, DcId = d.DcId, Nodes = all }).ToArray();
        for (int id = 0; id < NodeCount; id++)
        {
            var config = new NodeConfig
            {
                Node = new LocalNodeConfig { Id = id, Name = NodeName(id), Address = "127.0.0.1", Port = Ports[id] },
                Cluster = cluster,
                Peers = all.Where(p => p != id).Select(p => new PeerConfig
                {
                    Name = NodeName(p), Id = p, Address = route[id, p].Address.ToString(), Port = route[id, p].Port,
                }).ToArray(),
                Dcs = dcConfigs,
                Services = services.Where(s => s.Node == id).Select(s => s.Service).ToArray(),
            };
            File.WriteAllText(IniPath(id), config.ToIni(LocalCluster.KeyFileName));
        }

        var failures = new string?[NodeCount];
        Parallel.For(0, NodeCount, id =>
        {
            string[]? armed = crashPoints.Where(c => c.Node == id)
                .Select(c => new[] { "env", $"{Dvs.Hosting.FaultPoint.Variable}={NodeName(id)}:{c.Point}" }).FirstOrDefault();
            _hosts[id] = NodeProcess.TryStart(NodeName(id), IniPath(id), out failures[id], armed);
        });
        return failures.FirstOrDefault(f => f is not null);
    }

    // Ports the kernel considers free now; another process may still take one before the host binds
    // it, which Start handles by retrying.
    private static int[] FreeUdpPorts(int count)
    {
        var sockets = new Socket[count];
        try
        {
            for (int i = 0; i < count; i++)
            {
                sockets[i] = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
                sockets[i].Bind(new IPEndPoint(IPAddress.Loopback, 0));
            }
            return sockets.Select(s => ((IPEndPoint)s.LocalEndPoint!).Port).ToArray();
        }
        finally
        {
            foreach (Socket? s in sockets)
            {
                s?.Dispose();
            }
        }
    }
}
