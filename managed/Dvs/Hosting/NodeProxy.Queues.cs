using Dvs.Interop;
using Dvs.Ipc;
using Dvs.Layout;
using Dvs.Transport;

namespace Dvs.Hosting;

/// <summary>
/// Head-of-line blocking, both ways. Outbound: one node-wide ring feeds every peer, so a message
/// for a peer whose window is full waits in that peer's queue while the ring keeps draining for
/// the others. Inbound: a session delivers in order, so a message for a local endpoint whose ring
/// is full waits in that endpoint's overflow queue while the session keeps delivering to the
/// others. Both are bounded: past the bound the node pushes back (outbound: the ring fills and
/// senders wait; inbound: the session's window closes), it never drops and never grows without end.
/// </summary>
internal sealed unsafe partial class NodeProxy
{
    /// <summary>Messages waiting per peer before the node stops draining its outbound ring.</summary>
    private const int PeerQueueLimit = 65_536;
    /// <summary>Messages waiting per local endpoint before the session from that peer is held back.</summary>
    private const int OverflowPerEndpoint = 65_536;
    /// <summary>Messages waiting in all overflow queues of the node.</summary>
    private const int OverflowTotal = 262_144;

    private readonly Queue<(MessageHeader Header, Message Message)>?[] _peerQueues = new Queue<(MessageHeader, Message)>?[SegmentLayout.MaxNodes];
    private volatile bool _outboundBlocked;
    private readonly Dictionary<int, Queue<HeldMessage>> _overflow = new();
    private readonly Lock _overflowLock = new();
    private int _overflowCount;

    private bool HasOverflow => Volatile.Read(ref _overflowCount) > 0;

    /// <summary>Moves messages from the outbound ring to their peers' sessions (or queues).</summary>
    private bool DrainOutbound()
    {
        bool worked = FlushPeerQueues();
        for (int n = 0; n < 4096 && !_outboundBlocked; n++)
        {
            Message m;
            int meta;
            ulong route;
            if (Shim.RingPollAux(_outRing, _outCapacity, &m, &meta, &route) != 0)
            {
                break;
            }
            Route(in m, meta, route);
            worked = true;
        }
        return worked;
    }

    /// <summary>Decides where one outbound message goes and hands it on.</summary>
    private void Route(in Message message, int meta, ulong route)
    {
        int destination = DcView.RouteDestination(route);
        int dcid = DcView.RouteDc(route);
        int kind = meta & SegmentLayout.KindMask;
        int sequence = meta >>> 8;
        if ((uint)dcid >= SegmentLayout.MaxDcs || _dcs[dcid] is not DcView dc)
        {
            Count(NodeCounter.DropOther);
            return;
        }
        EnsureSourceAnnounced(dc, message.Source);
        if (kind == SegmentLayout.KindVCopy)
        {
            RouteVCopy(dc, destination, in message, sequence);
            return;
        }
        int index = dc.SlotIndexOf(destination);
        EndpointSlot* slot = index < 0 ? null : dc.Slot(index);
        int node = slot == null ? -1 : slot->OwnerNode;
        if (slot == null || Volatile.Read(ref slot->State) != SegmentLayout.SlotRemote || slot->Endpoint != destination ||
            (uint)node >= SegmentLayout.MaxNodes || _sessions[node] is null)
        {
            FailLocalCaller(dc, kind, in message, DvsError.DstDied);
            Count(NodeCounter.DropUnknownEndpoint);
            return;
        }
        ulong incarnation = kind == SegmentLayout.KindSendRec
            ? ClientIncarnation.Make(_segment.Header->Incarnation, ClientIncarnation.BindCountOfRoute(route))
            : 0;
        SendOrQueue(node, new MessageHeader((ushort)dcid, (byte)kind, destination, slot->Epoch, (uint)sequence, incarnation), in message);
    }

    /// <summary>Sends at once when nothing for that peer is waiting, else queues behind (order per peer).</summary>
    private void SendOrQueue(int peer, in MessageHeader header, in Message message)
    {
        Queue<(MessageHeader, Message)> queue = _peerQueues[peer] ??= new Queue<(MessageHeader, Message)>();
        if (queue.Count == 0)
        {
            SendStatus status = TrySendTo(peer, in header, in message);
            if (status != SendStatus.BackPressured)
            {
                AfterSend(status, in header, in message);
                return;
            }
            Count(NodeCounter.OutboundBackPressure);
        }
        queue.Enqueue((header, message));
        if (queue.Count >= PeerQueueLimit)
        {
            _outboundBlocked = true;
        }
    }

    private SendStatus TrySendTo(int peer, in MessageHeader header, in Message message)
    {
        ReliableSession session = _sessions[peer]!;
        Message copy = message;
        lock (session)
        {
            return session.TrySend(header, new ReadOnlySpan<byte>(&copy, sizeof(Message)));
        }
    }

    private void AfterSend(SendStatus status, in MessageHeader header, in Message message)
    {
        if (status == SendStatus.Ok)
        {
            Count(NodeCounter.MessagesSent);
            return;
        }
        // The peer is down: a request must not hang its caller.
        if (_dcs[header.DcId] is DcView dc)
        {
            FailLocalCaller(dc, header.CallKind, in message, DvsError.NotConnected);
        }
        Count(NodeCounter.DropOther);
    }

    private bool FlushPeerQueues()
    {
        bool worked = false;
        bool blocked = false;
        foreach (int peer in _peerIds)
        {
            Queue<(MessageHeader Header, Message Message)>? queue = _peerQueues[peer];
            if (queue is null)
            {
                continue;
            }
            while (queue.Count > 0)
            {
                (MessageHeader header, Message message) = queue.Peek();
                SendStatus status = TrySendTo(peer, in header, in message);
                if (status == SendStatus.BackPressured)
                {
                    break;
                }
                queue.Dequeue();
                AfterSend(status, in header, in message);
                worked = true;
            }
            blocked |= queue.Count >= PeerQueueLimit;
        }
        _outboundBlocked = blocked;
        return worked;
    }

    /// <summary>Into the endpoint's ring, or behind what already waits for it. False: hold the session back.</summary>
    private bool DeliverOrQueue(in DcView dc, int index, EndpointSlot* slot, in Message message, int meta, ulong incarnation)
    {
        int key = (dc.DcId << 16) | index;
        lock (_overflowLock)
        {
            Queue<HeldMessage>? waiting = _overflowCount > 0 ? _overflow.GetValueOrDefault(key) : null;
            if (waiting is null or { Count: 0 })
            {
                Message copy = message;
                if (Shim.RingOfferAux(dc.Ring(index), dc.RingCapacity, &copy, meta, incarnation, slot) == 0)
                {
                    return true;
                }
            }
            if (_overflowCount >= OverflowTotal || (waiting?.Count ?? 0) >= OverflowPerEndpoint)
            {
                return false;
            }
            if (waiting is null)
            {
                _overflow[key] = waiting = new Queue<HeldMessage>();
            }
            waiting.Enqueue(new HeldMessage(message, meta, incarnation));
            _overflowCount++;
            return true;
        }
    }

    /// <summary>Moves overflow into rings that have room again; fails requests whose endpoint went away.</summary>
    private bool FlushOverflow()
    {
        if (!HasOverflow)
        {
            return false;
        }
        bool worked = false;
        lock (_overflowLock)
        {
            foreach ((int key, Queue<HeldMessage> queue) in _overflow)
            {
                int dcid = key >> 16;
                int index = key & 0xFFFF;
                if (_dcs[dcid] is not DcView dc)
                {
                    continue;
                }
                EndpointSlot* slot = dc.Slot(index);
                uint state = Volatile.Read(ref slot->State);
                bool bound = state is SegmentLayout.SlotLocal or SegmentLayout.SlotMigrating;
                while (queue.Count > 0)
                {
                    (Message message, int meta, ulong incarnation) = queue.Peek();
                    if (bound && Shim.RingOfferAux(dc.Ring(index), dc.RingCapacity, &message, meta, incarnation, slot) != 0)
                    {
                        break;
                    }
                    if (!bound && state == SegmentLayout.SlotRemote)
                    {
                        // It migrated away meanwhile: follow it.
                        _forward.Enqueue((slot->OwnerNode, new MessageHeader((ushort)dcid, (byte)(meta & SegmentLayout.KindMask),
                            slot->Endpoint, slot->Epoch, (uint)(meta >>> 8), incarnation), message));
                        Count(NodeCounter.Forwarded);
                    }
                    else if (!bound)
                    {
                        Count(NodeCounter.DropUnknownEndpoint);
                        FailRemoteCaller(dc, in message, meta, DvsError.DstDied);
                    }
                    queue.Dequeue();
                    _overflowCount--;
                    worked = true;
                }
            }
        }
        return worked;
    }

    /// <summary>A request from another node that can no longer be delivered: answer it with an error.</summary>
    private void FailRemoteCaller(in DcView dc, in Message request, int meta, DvsError error)
    {
        if ((meta & SegmentLayout.KindMask) != SegmentLayout.KindSendRec)
        {
            return;
        }
        int caller = dc.SlotIndexOf(request.Source);
        if (caller < 0)
        {
            return;
        }
        EndpointSlot* slot = dc.Slot(caller);
        if (Volatile.Read(ref slot->State) == SegmentLayout.SlotRemote)
        {
            Message fail = default;
            fail.Type = (int)error;
            _forward.Enqueue((slot->OwnerNode,
                new MessageHeader((ushort)dc.DcId, CallKindReplyError, request.Source, 0, (uint)(meta >>> 8)), fail));
        }
    }
}
