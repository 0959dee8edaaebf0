namespace Dvs.Transport;

/// <summary>Why a received datagram was not used. Every drop is counted (DropCounters).</summary>
internal enum DropReason
{
    None = 0,
    /// <summary>Shorter than a frame header plus HMAC.</summary>
    TooShort,
    /// <summary>Longer than the configured maximum frame, or truncated by the receive buffer.</summary>
    TooLong,
    BadMagic,
    BadVersion,
    BadKind,
    /// <summary>Cluster id of another cluster.</summary>
    WrongCluster,
    /// <summary>Addressed to another node.</summary>
    WrongDestination,
    /// <summary>Source node not in the cluster (or ourselves).</summary>
    UnknownNode,
    /// <summary>Message count, payload length and datagram length disagree.</summary>
    BadLength,
    /// <summary>A message header with an impossible field (dc out of range).</summary>
    BadMessageHeader,
    /// <summary>Authentication failed.</summary>
    BadHmac,
    /// <summary>From an older incarnation of the peer, or addressed to an older one of ours.</summary>
    StaleIncarnation,
    /// <summary>A data frame beyond the receive window (it will be retransmitted).</summary>
    OutOfWindow,
    /// <summary>A data frame received before (acknowledged again, delivered once).</summary>
    Duplicate,
    /// <summary>A control frame (ack, heartbeat, hello) whose control sequence is not newer than
    /// one already taken from the same incarnation: a replay, or an old copy overtaken.</summary>
    Replayed,
    /// <summary>A datagram whose source address is not the configured one of the node it names.</summary>
    WrongAddress,
}
