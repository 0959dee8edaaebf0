using Dvs.Benchmarks.Partners;

namespace Dvs.Benchmarks.Net;

/// <summary>
/// Two node hosts as their own processes on loopback UDP (node0 on the partner CPU, node1 on the
/// benchmark CPU), a server process attached to node0 (echo or sink, partner CPU) and the client
/// endpoint bound here on node1. A call from the client crosses: client -> node1 host (shared
/// memory) -> UDP -> node0 host -> server (shared memory), and the reply the same way back.
/// Not thread-safe; created in a GlobalSetup, disposed in the GlobalCleanup.
/// </summary>
internal sealed class CrossNodeCluster : IDisposable
{
    internal const int ServerEndpoint = 1;
    internal const int ClientEndpoint = 2;

    private readonly List<PartnerProcess> partners = [];
    private readonly string[] names;
    private Node? node;

    private CrossNodeCluster(string stem) => names = [stem + "-0", stem + "-1"];

    internal Endpoint Client { get; private set; } = null!;

    /// <summary>
    /// DVS_BENCH_NET_PIN=none: the node hosts and the server run where the scheduler puts them
    /// (the default pins node0 and the server to the partner CPU, node1 to the benchmark CPU,
    /// as one CPU per node).
    /// </summary>
    internal static bool Pinned => Environment.GetEnvironmentVariable("DVS_BENCH_NET_PIN") != "none";

    /// <summary>The server's node (node0), for its host's counters.</summary>
    internal string Node0Name => names[0];

    /// <summary>The client's node (node1), for its host's counters.</summary>
    internal Node Node1 => node!;

    /// <summary>
    /// Starts both hosts, the server in <paramref name="serverMode"/> (echo or sink), and binds the
    /// client; both endpoints wait with WaitStrategy.Blocking if <paramref name="blocking"/>, else Default.
    /// </summary>
    internal static CrossNodeCluster Start(string serverMode, bool blocking = false)
    {
        var cluster = new CrossNodeCluster($"xn{Environment.ProcessId}x{Environment.TickCount64 % 100000}");
        try
        {
            int port0 = NetPorts.FreeUdp(), port1 = NetPorts.FreeUdp();
            string cpu0 = Pinned ? Cpus.Partner.ToString() : "-1", cpu1 = Pinned ? Cpus.Benchmark.ToString() : "-1";
            cluster.partners.Add(PartnerProcess.StartSelf("--net", "node", cluster.names[0], "0", port0.ToString(), "1", port1.ToString(), cpu0));
            cluster.partners.Add(PartnerProcess.StartSelf("--net", "node", cluster.names[1], "1", port1.ToString(), "0", port0.ToString(), cpu1));
            cluster.partners.Add(PartnerProcess.StartSelf("--net", serverMode, cluster.names[0], ServerEndpoint.ToString(), cpu0, blocking ? "blocking" : "default"));
            cluster.node = Node.Attach(cluster.names[1], blocking ? WaitStrategy.Blocking : WaitStrategy.Default);
            var error = cluster.node.WaitForRemote(NetPartnerMode.DcId, ServerEndpoint, DvsTimeout.FromMilliseconds(30_000));
            if (error != DvsError.Ok)
            {
                throw new InvalidOperationException($"the server endpoint did not appear on node1: {error}");
            }
            cluster.Client = cluster.node.Bind(NetPartnerMode.DcId, ClientEndpoint);
            return cluster;
        }
        catch
        {
            cluster.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        Client?.Dispose();
        node?.Dispose();
        // The server first, then the hosts; a host killed outright leaves its segment behind.
        for (var i = partners.Count - 1; i >= 0; i--)
        {
            partners[i].Dispose();
        }
        partners.Clear();
        foreach (var name in names)
        {
            File.Delete($"/dev/shm/dvs-{name}");
        }
    }
}
