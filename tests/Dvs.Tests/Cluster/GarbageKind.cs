namespace Dvs.Tests.Cluster;

/// <summary>The kinds of datagram <see cref="GarbageDatagrams"/> makes.</summary>
internal enum GarbageKind
{
    /// <summary>0..MTU random bytes.</summary>
    RandomBytes,
    /// <summary>A prefix of a well-formed frame.</summary>
    Truncated,
    /// <summary>A well-formed, authentic frame with 1..8 bits flipped.</summary>
    BitFlipped,
    /// <summary>Well-formed, from a peer, but the HMAC is wrong.</summary>
    BadHmac,
    /// <summary>Authentic with the cluster key, but carrying another cluster's id.</summary>
    WrongCluster,
    /// <summary>Authentic, from a node id outside the cluster.</summary>
    UnknownNode,
    /// <summary>Authentic, from a peer, addressed to another node.</summary>
    WrongDestination,
    /// <summary>Longer than the MTU, starting with a frame header.</summary>
    Oversized,
}
