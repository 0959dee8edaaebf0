namespace Dvs;

/// <summary>How a node host talks to its peers (<see cref="NetworkOptions.Transport"/>, <c>[node] transport</c>).</summary>
public enum TransportKind
{
    /// <summary>Reliable ordered sessions over UDP datagrams (the default).</summary>
    Udp,

    /// <summary>The same sessions over TCP: one connection per peer and direction, frames
    /// length-prefixed. For networks that drop or rate-limit UDP.</summary>
    Tcp,

    /// <summary>The same sessions over raw Ethernet frames (AF_PACKET, EtherType 0x88B5) on one
    /// interface (<see cref="NetworkOptions.Interface"/>, <c>[node] interface</c>); peers are addressed
    /// by MAC address. Needs CAP_NET_RAW; peers on the same Ethernet segment.</summary>
    Raw,
}
