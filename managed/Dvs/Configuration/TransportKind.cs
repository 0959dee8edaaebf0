namespace Dvs.Configuration;

/// <summary>How a node host talks to its peers (<c>[node] transport</c>).</summary>
public enum TransportKind
{
    /// <summary>Reliable ordered sessions over UDP datagrams (the default).</summary>
    Udp,

    /// <summary>One TCP connection per peer.</summary>
    Tcp,

    /// <summary>Raw Ethernet frames on an AF_PACKET socket (<c>[node] interface</c>); peers are
    /// addressed by MAC address.</summary>
    Raw,
}
