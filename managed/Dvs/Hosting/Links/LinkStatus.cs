namespace Dvs.Hosting.Links;

/// <summary>What became of a message offered to a <see cref="PeerLink"/>.</summary>
internal enum LinkStatus
{
    /// <summary>Handed to the peer's session.</summary>
    Sent,
    /// <summary>In the outbox, behind what was there; the sender loop hands it on.</summary>
    Queued,
    /// <summary>Refused: the outbox is full. The producer pushes back or fails its caller.</summary>
    Full,
    /// <summary>Refused: the peer is down. The producer fails its caller.</summary>
    PeerDown,
}
