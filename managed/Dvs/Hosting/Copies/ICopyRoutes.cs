using Dvs.Ipc;
using Dvs.Layout;
using Dvs.Transport;

namespace Dvs.Hosting.Copies;

/// <summary>
/// What the copy service needs of the node host: the ways a copy's messages leave (a peer's
/// outbox, the outbound path of a local request) and the reply word of a local requester. The
/// node proxy implements it; the service owns nothing of these.
/// </summary>
internal unsafe interface ICopyRoutes
{
    /// <summary>Queues a message for <paramref name="peer"/> behind everything queued for it (any thread).
    /// False: refused (counted, its caller failed).</summary>
    /// <param name="peer">The node it goes to.</param>
    /// <param name="header">Its header.</param>
    /// <param name="message">The 64 bytes.</param>
    bool Post(int peer, in MessageHeader header, in Message message);

    /// <summary>Sends a message of a local request on to <paramref name="peer"/> (outbound thread,
    /// in the outbound ring's order).</summary>
    /// <param name="peer">The node it goes to.</param>
    /// <param name="header">Its header.</param>
    /// <param name="message">The 64 bytes.</param>
    void SendFromRing(int peer, in MessageHeader header, in Message message);

    /// <summary>Completes a local caller's wait with <paramref name="reply"/> (a late one is counted).</summary>
    /// <param name="slot">The caller's endpoint slot.</param>
    /// <param name="reply">The completion (source endpoint, status as its type).</param>
    /// <param name="sequence">The request sequence it answers.</param>
    /// <param name="failed">Whether the copy failed.</param>
    void DeliverReply(EndpointSlot* slot, in Message reply, int sequence, bool failed);

    /// <summary>Makes the sender loop look again (a copy job was queued).</summary>
    void WakeSender();
}
