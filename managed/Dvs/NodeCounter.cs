namespace Dvs;

/// <summary>
/// The node host's counters, kept in the node segment so any process of the node (dvs status,
/// tests) can read them. Index into a 64-slot array; append only.
/// </summary>
public enum NodeCounter
{
    FramesSent = 0,
    FramesReceived = 1,
    MessagesSent = 2,
    MessagesReceived = 3,
    Retransmissions = 4,
    BytesSent = 5,
    BytesReceived = 6,
    DropMalformed = 8,
    DropBadHmac = 9,
    DropUnknownNode = 10,
    DropWrongCluster = 11,
    DropStaleIncarnation = 12,
    DropDuplicate = 13,
    DropWrongDc = 14,
    DropUnknownEndpoint = 15,
    DropFullRing = 16,
    DropLateReply = 17,
    DropOther = 18,
    /// <summary>Authentic frames from a source address other than the configured one of the node
    /// they name (a replay from another socket, or a misconfigured peer).</summary>
    DropWrongAddress = 19,
    /// <summary>Requests from a peer for more memory than the configured bounds (a migration's
    /// offer or delta larger than NetworkOptions.MaxMigrationBytes).</summary>
    DropTooLarge = 20,
    /// <summary>VCopy data from a peer for no copy this node asked it for, or outside the range
    /// asked for: not written.</summary>
    DropUnrequestedCopy = 21,
    /// <summary>Messages for a peer that was down when their turn came: not sent, their waiting
    /// callers failed (NotConnected).</summary>
    DropPeerDown = 22,
    /// <summary>Messages or copies refused because a bounded queue of the node proxy (a peer's
    /// outbox, the copies it serves) was full: their callers failed.</summary>
    DropQueueFull = 23,
    PeersUp = 24,
    PeerDownEvents = 25,
    PeerRestarts = 26,
    EndpointsAnnounced = 27,
    OutboundBackPressure = 28,
    InboundBackPressure = 29,
    Forwarded = 30,
    MigrationsStarted = 31,
    MigrationsCommitted = 32,
    MigrationsRolledBack = 33,
    /// <summary>VCopy transfers this node serves right now (a gauge: up at start, down at the end).</summary>
    CopiesInProgress = 34,
    /// <summary>Messages from other nodes that found their endpoint's ring full and waited in the
    /// node proxy's overflow queue (not a drop: they are delivered in order when it drains).</summary>
    InboundOverflowed = 35,
    /// <summary>Ring cells claimed by a producer that died before publishing them, which the node
    /// host's reaper unblocked so the ring's consumer moves on (the dead producer's message is lost).</summary>
    RingCellsUnblocked = 36,
    /// <summary>A migrated endpoint's new owner waited the peer-down time for a sender's FENCE
    /// (docs/protocol.md) and delivered that sender's direct messages without it (none lost; their
    /// order relative to those still on the old path is not guaranteed).</summary>
    FencesTimedOut = 37,
}
