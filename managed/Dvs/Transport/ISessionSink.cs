namespace Dvs.Transport;

/// <summary>
/// Receives what a <see cref="ReliableSession"/> delivers. Called on the thread that drives the
/// session (inside OnFrame or Poll); implementations must not block.
/// </summary>
internal interface ISessionSink
{
    /// <summary>
    /// One message, in order, exactly once. Return false to refuse it (the local destination is
    /// full): the session keeps it and every later one, offers it again at the next Poll, and its
    /// receive window shrinks so the peer stops sending.
    /// </summary>
    bool TryDeliver(ReliableSession session, in MessageHeader header, ReadOnlySpan<byte> message);

    /// <summary>
    /// The raw bytes of one bulk frame (<see cref="ReliableSession.TrySendBulk"/>), in order with
    /// the messages, exactly once; <paramref name="data"/> is valid during the call only. False
    /// refuses it as <see cref="TryDeliver"/> does. Sinks that take no bulk data drop it.
    /// </summary>
    bool TryDeliverBulk(ReliableSession session, in MessageHeader header, ReadOnlySpan<byte> data) => true;

    /// <summary>
    /// The end of a run of deliveries (each time the session has delivered what it could). A sink
    /// that gathers accepted messages to hand them on together must have handed them all on
    /// when this returns.
    /// </summary>
    void EndDeliveries(ReliableSession session)
    {
    }

    /// <summary>The peer went up (a frame arrived) or down (silence).</summary>
    void OnPeerStateChanged(ReliableSession session, PeerState state);

    /// <summary>
    /// The peer restarted with a new incarnation. Both directions start over;
    /// <paramref name="discardedMessages"/> outbound messages that the old incarnation may or may
    /// not have received were dropped, so the calls waiting on them should fail.
    /// </summary>
    void OnPeerReset(ReliableSession session, ulong newIncarnation, int discardedMessages);
}
