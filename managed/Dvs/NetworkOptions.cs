using System.Net;

namespace Dvs;

/// <summary>
/// How a node host talks to its peers: where it listens, who the peers are, the cluster key that
/// authenticates every frame, and the session timers. Null in <see cref="NodeHostOptions.Network"/>
/// means a single-node host (no proxy).
/// </summary>
public sealed class NetworkOptions
{
    /// <summary>Local address and UDP port to listen on.</summary>
    public IPEndPoint Listen { get; set; } = new(IPAddress.Loopback, 0);

    /// <summary>The other nodes of the cluster.</summary>
    public IList<PeerOptions> Peers { get; set; } = new List<PeerOptions>();

    /// <summary>The cluster key (HMAC-SHA256 over every frame). At least 16 bytes.</summary>
    public byte[] ClusterKey { get; set; } = [];

    /// <summary>How often an idle session says it is alive.</summary>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Silence after which a peer is declared down and calls to it fail.</summary>
    public TimeSpan PeerDownAfter { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Largest datagram.</summary>
    public int Mtu { get; set; } = Transport.FrameDescriptor.DefaultMtu;

    /// <summary>Frames in flight per peer (flow control); a power of two.</summary>
    public int WindowFrames { get; set; } = 128;
}
