namespace Dvs.Configuration;

/// <summary>A <c>[peer.&lt;name&gt;]</c> section: another node of the cluster. Immutable.</summary>
public sealed class PeerConfig
{
    /// <summary>Peer name (the part after <c>peer.</c>), unique in the cluster.</summary>
    public required string Name { get; init; }

    /// <summary>Peer node id, 0..31, unique in the cluster.</summary>
    public required int Id { get; init; }

    /// <summary>IP address or host name (udp, tcp), or MAC address (raw).</summary>
    public required string Address { get; init; }

    /// <summary>Line of <c>address</c> in the file (0 when built in code), for messages.</summary>
    public int AddressLine { get; init; }

    /// <summary>UDP / TCP port; 0 with raw transport when not given.</summary>
    public int Port { get; init; }
}
