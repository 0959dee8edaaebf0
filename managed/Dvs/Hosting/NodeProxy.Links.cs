using System.Runtime.CompilerServices;
using Dvs.Hosting.Links;
using Dvs.Ipc;
using Dvs.Layout;
using Dvs.Transport;

namespace Dvs.Hosting;

/// <summary>
/// The proxy's side of the peer links (<see cref="PeerLink"/>): every message for a peer goes
/// through its link's one ordered outbox, and one rule applies to what cannot go: a message for a
/// peer that is down, or refused by a full outbox, is counted (<see cref="NodeCounter.DropPeerDown"/>,
/// <see cref="NodeCounter.DropQueueFull"/>) and its caller, here or on another node, gets an error.
/// </summary>
internal sealed unsafe partial class NodeProxy
{
    private readonly PeerLink?[] _links = new PeerLink?[SegmentLayout.MaxNodes];
    // Cached: the link calls it for each message it drops; a method group would allocate per call.
    private readonly UndeliverableHandler _peerDown;
    // The sender loop's thread: what it posts needs no futex wake.
    private int _senderThreadId = -1;

    /// <summary>
    /// Queues a message for <paramref name="peer"/> behind everything queued for it (any thread,
    /// any lock held). False: refused (counted, its caller failed).
    /// </summary>
    /// <param name="peer">The node it goes to.</param>
    /// <param name="header">Its header (call kind, destination, epoch, sequence).</param>
    /// <param name="message">The 64 bytes.</param>
    internal bool Post(int peer, in MessageHeader header, in Message message)
    {
        if ((uint)peer >= SegmentLayout.MaxNodes || _links[peer] is not PeerLink link)
        {
            FailUndelivered(header, message, DvsError.NotConnected, NodeCounter.DropPeerDown);
            return false;
        }
        if (link.Enqueue(header, message) == LinkStatus.Full)
        {
            FailUndelivered(header, message, DvsError.Again, NodeCounter.DropQueueFull);
            return false;
        }
        WakeSender();
        return true;
    }

    /// <summary>
    /// Queues a message this node accepted already (a handover's) for <paramref name="peer"/>,
    /// past the outbox's bound; only a peer with no link fails it (counted).
    /// </summary>
    private void PostAccepted(int peer, in MessageHeader header, in Message message)
    {
        if ((uint)peer >= SegmentLayout.MaxNodes || _links[peer] is not PeerLink link)
        {
            FailUndelivered(header, message, DvsError.NotConnected, NodeCounter.DropPeerDown);
            return;
        }
        link.EnqueueAccepted(header, message);
        WakeSender();
    }

    /// <summary>
    /// Makes the sender loop look again before it sleeps: another thread wakes it; the loop itself
    /// (a delivery it retried while polling queued a forward) only bumps the word it sleeps on.
    /// </summary>
    private void WakeSender()
    {
        if (Environment.CurrentManagedThreadId != _senderThreadId)
        {
            Doorbell.Wake(&_proxySlot->WakeSeq);
        }
        else
        {
            Interlocked.Increment(ref _proxySlot->WakeSeq);
        }
    }

    /// <summary>The outbound ring's messages (sender loop): sent at once when nothing waits for the peer.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void SendFromRing(int peer, in MessageHeader header, in Message message)
    {
        PeerLink link = _links[peer]!;
        switch (link.Post(header, message))
        {
            case LinkStatus.Sent:
                Count(NodeCounter.MessagesSent);
                return;
            case LinkStatus.Queued:
                Count(NodeCounter.OutboundBackPressure);
                if (link.HoldsBackRing)
                {
                    _outboundBlocked = true;
                }
                return;
            case LinkStatus.PeerDown:
                FailUndelivered(header, message, DvsError.NotConnected, NodeCounter.DropPeerDown);
                return;
            default:
                FailUndelivered(header, message, DvsError.Again, NodeCounter.DropQueueFull);
                return;
        }
    }

    /// <summary>Hands every link's outbox on to its session (sender loop); the ring waits while one is near full.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private bool FlushLinks()
    {
        bool worked = false;
        bool blocked = false;
        foreach (int peer in _peerIds)
        {
            PeerLink link = _links[peer]!;
            if (link.Queued != 0)
            {
                worked |= link.Flush(_peerDown, SegmentLayout.KindNotify, out int data) > 0;
                if (data > 0)
                {
                    Count(NodeCounter.MessagesSent, data);
                }
            }
            blocked |= link.HoldsBackRing;
        }
        _outboundBlocked = blocked;
        return worked;
    }

    private void OnPeerDown(PeerLink link, in MessageHeader header, in Message message) =>
        FailUndelivered(header, message, DvsError.NotConnected, NodeCounter.DropPeerDown);

    /// <summary>
    /// The one rule for a message that cannot reach its peer: count it, and fail the request's
    /// caller, on this node (its reply word) or on the node it called from (an error reply).
    /// </summary>
    private void FailUndelivered(in MessageHeader header, in Message message, DvsError error, NodeCounter counter)
    {
        Count(counter);
        int kind = header.CallKind;
        if ((kind != SegmentLayout.KindSendRec && kind != CallKind.VCopyRequest) ||
            header.DcId >= SegmentLayout.MaxDcs || _dcs[header.DcId] is not DcView dc)
        {
            return;
        }
        int caller = dc.SlotIndexOf(message.Source);
        if (caller < 0)
        {
            return;
        }
        EndpointSlot* slot = dc.Slot(caller);
        if (Volatile.Read(ref slot->State) != SegmentLayout.SlotRemote)
        {
            FailLocalCaller(dc, kind, in message, error);
            return;
        }
        // A request forwarded from another node: its caller's node gets the error (once: a reply
        // that cannot go either is only counted).
        int owner = slot->OwnerNode;
        if (kind == SegmentLayout.KindSendRec && slot->Endpoint == message.Source &&
            (uint)owner < SegmentLayout.MaxNodes && _links[owner] is PeerLink link)
        {
            Message fail = default;
            fail.Source = header.Destination;
            fail.Type = (int)error;
            var reply = new MessageHeader(header.DcId, CallKind.ReplyError, message.Source, 0, header.RequestSequence, header.SourceIncarnation);
            if (link.Enqueue(reply, fail) == LinkStatus.Full)
            {
                Count(NodeCounter.DropQueueFull);
                return;
            }
            WakeSender();
        }
    }

    /// <summary>
    /// A message from a peer for an endpoint that moved on: into the new owner's outbox. False,
    /// and nothing done, while that outbox is full (the delivering session retries it later).
    /// Inbound thread, under the delivering session's gate: only queues, never takes a second gate.
    /// </summary>
    private bool TryForward(int owner, in MessageHeader header, in Message message)
    {
        if ((uint)owner >= SegmentLayout.MaxNodes || _links[owner] is not PeerLink link)
        {
            FailUndelivered(header, message, DvsError.NotConnected, NodeCounter.DropPeerDown);
            return true;
        }
        if (link.Enqueue(header, message) == LinkStatus.Full)
        {
            return false;
        }
        WakeSender();
        return true;
    }
}
