namespace Dvs;

/// <summary>What a node host creates: its segment name, its DCs and the ring size.</summary>
public sealed class NodeHostOptions
{
    /// <summary>Node name; the segment is /dev/shm/dvs-&lt;name&gt;. Letters, digits, '.', '_', '-'.</summary>
    public string NodeName { get; set; } = "node0";

    /// <summary>Node id, 0..31.</summary>
    public int NodeId { get; set; }

    public string Cluster { get; set; } = "dvs";

    /// <summary>Cells per inbound ring, a power of two (128 bytes each, backed only once used; see IpcConfig.DefaultRingCapacity).</summary>
    public int RingCapacity { get; set; } = Configuration.IpcConfig.DefaultRingCapacity;

    /// <summary>
    /// The DCs the node runs. By default DC 0 (named DC0, DVS sizes); DCs you give replace it,
    /// whether you assign a list or add to this one (<c>Dcs = { new DcOptions { DcId = 1 } }</c> runs
    /// DC 1 only). An empty list runs no DC.
    /// </summary>
    public IList<DcOptions> Dcs { get; set; } = new DefaultDcList();

    /// <summary>How long a migration this host starts may take before it rolls back (the initial
    /// <see cref="NodeHost.MigrationTimeout"/>; ini: <c>[node] migration_timeout_ms</c>).</summary>
    public TimeSpan MigrationTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How often the host looks for endpoints whose owner died.</summary>
    public TimeSpan ReapInterval { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>Peers and transport; null for a node without peers.</summary>
    public NetworkOptions? Network { get; set; }

    /// <summary>
    /// Path of the host's local control socket (Unix domain, mode 0600; see
    /// <see cref="Hosting.ControlSocketPath"/>), where `dvs migrate` and `dvs status` reach it; null
    /// for none (embedded hosts). A stale file there is replaced; the file is removed on dispose.
    /// </summary>
    public string? ControlSocket { get; set; }

    /// <summary>The wall clock (ns since 1970) a new incarnation is at least; tests set it back.</summary>
    internal Func<ulong> IncarnationClock { get; set; } = Ipc.NodeIncarnation.WallClockNanoseconds;

    /// <summary>
    /// Checks what the segment needs (the shim's limits), so a bad option is named before anything
    /// is created. Every problem is listed.
    /// </summary>
    /// <exception cref="DvsException">BadValue: what is wrong, by option name and value.</exception>
    internal void Validate()
    {
        var problems = new List<string>();
        if (NodeId is < 0 or >= Configuration.NodeConfig.MaxNodes)
        {
            problems.Add($"NodeId {NodeId} is out of range 0..{Configuration.NodeConfig.MaxNodes - 1}");
        }
        if (RingCapacity is < 2 or > Configuration.IpcConfig.MaxRingCapacity || !int.IsPow2(RingCapacity))
        {
            problems.Add($"RingCapacity {RingCapacity} is not a power of two in 2..{Configuration.IpcConfig.MaxRingCapacity}");
        }
        if (Dcs is null)
        {
            problems.Add("Dcs is null");
        }
        else if (Dcs.Count > Configuration.DcConfig.MaxDcs)
        {
            problems.Add($"Dcs has {Dcs.Count} DCs, more than {Configuration.DcConfig.MaxDcs}");
        }
        else
        {
            var seen = new HashSet<int>();
            foreach (DcOptions dc in Dcs)
            {
                dc.Validate(problems, seen);
            }
        }
        if (Network is { Transport: not TransportKind.Raw } network)
        {
            // The UDP channel is IPv4 only; TCP follows it so that a cluster can switch transports.
            if (network.Listen?.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6)
            {
                problems.Add($"Network.Listen {network.Listen} is an IPv6 address; the udp and tcp transports are IPv4 only");
            }
            foreach (PeerOptions peer in network.Peers ?? [])
            {
                if (peer.Address?.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6)
                {
                    problems.Add($"peer '{peer.Name}' (node {peer.NodeId}): Address {peer.Address} is an IPv6 address; the udp and tcp transports are IPv4 only");
                }
            }
        }
        if (problems.Count > 0)
        {
            throw new DvsException(DvsError.BadValue, $"node '{NodeName}': {string.Join("; ", problems)}");
        }
    }
}
