using System.Net;

namespace Dvs;

/// <summary>
/// How a node host talks to its peers: where it listens, who the peers are, the cluster key that
/// authenticates every frame, and the session timers. Null in <see cref="NodeHostOptions.Network"/>
/// means a single-node host (no proxy).
/// </summary>
public sealed class NetworkOptions
{
    /// <summary>How frames travel between the hosts: UDP (default), TCP or raw Ethernet. All
    /// nodes of a cluster must use the same.</summary>
    public TransportKind Transport { get; set; } = TransportKind.Udp;

    /// <summary>Local address and UDP / TCP port to listen on (unused with <see cref="TransportKind.Raw"/>).</summary>
    public IPEndPoint Listen { get; set; } = new(IPAddress.Loopback, 0);

    /// <summary>The network interface (e.g. <c>eth0</c>) of <see cref="TransportKind.Raw"/>; unused
    /// otherwise. Its MTU must be at least <see cref="Mtu"/>.</summary>
    public string? Interface { get; set; }

    /// <summary>The other nodes of the cluster.</summary>
    public IList<PeerOptions> Peers { get; set; } = new List<PeerOptions>();

    /// <summary>The cluster key (HMAC-SHA256 over every frame). At least 16 bytes.</summary>
    public byte[] ClusterKey { get; set; } = [];

    /// <summary>How often an idle session says it is alive.</summary>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Silence after which a peer is declared down and calls to it fail.</summary>
    public TimeSpan PeerDownAfter { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Largest datagram (with raw transport: at most the interface's MTU, checked when the
    /// host starts).</summary>
    public int Mtu { get; set; } = global::Dvs.Transport.FrameDescriptor.DefaultMtu;

    /// <summary>Frames in flight per peer (flow control); a power of two.</summary>
    public int WindowFrames { get; set; } = 128;

    /// <summary>
    /// How long a node keeps the buffers of its last migrations (a snapshot's, a received
    /// state's) for the next one: a large state costs page faults only the first time it moves,
    /// but a node that moved 100 MiB once should not hold twice that for good. Dropped once no
    /// migration used them for this long.
    /// </summary>
    public TimeSpan MigrationBufferKeep { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Largest migration state (package or delta) a peer may send this node: the node allocates
    /// what an offer announces, so the bound keeps a peer from asking for gigabytes. Larger offers
    /// are dropped and counted (NodeCounter.DropTooLarge); the migration then fails at prepare.
    /// </summary>
    public long MaxMigrationBytes { get; set; } = 256L << 20;

    /// <summary>Messages one peer's outbox holds at most (tests make it small).</summary>
    internal int PeerOutboxCapacity { get; set; } = 65_536;

    /// <summary>Copies the node serves at once at most; more fail with Again (tests make it small).</summary>
    internal int CopyJobLimit { get; set; } = 4096;
}
