using System.Runtime.CompilerServices;
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
    /// <summary>Messages waiting per local endpoint before the session from that peer is held back.</summary>
    private const int OverflowPerEndpoint = 65_536;
    /// <summary>Messages waiting in all overflow queues of the node.</summary>
    private const int OverflowTotal = 262_144;

    /// <summary>Messages taken from the outbound ring per native call (one wake of waiting senders per batch at most).</summary>
    private const int DrainBatch = 256;

    /// <summary>A drain this large means a burst: the idle spin after it yields (see IdleWait).</summary>
    private const int YieldAfter = 64;

    private readonly PolledMessage[] _drained = GC.AllocateArray<PolledMessage>(DrainBatch, pinned: true);
    // Messages the last DrainOutbound that found any took (outbound thread only).
    private int _lastDrain;
    // The outbound thread moved messages since its last idle wait (outbound thread only).
    private bool _drainedSinceIdle;
    // The inbound thread delivered a request or a reply since the outbound thread's last idle wait.
    private int _replyExpected;
    private volatile bool _outboundBlocked;
    private readonly Dictionary<int, Queue<HeldMessage>> _overflow = new();
    // Per peer session: messages accepted in a row for one endpoint, not yet in its ring.
    private readonly DeliveryRun?[] _runs = new DeliveryRun?[SegmentLayout.MaxNodes];
    private readonly Lock _overflowLock = new();
    private int _overflowCount;

    private bool HasOverflow => Volatile.Read(ref _overflowCount) > 0;

    /// <summary>Moves messages from the outbound ring to their peers' links.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private bool DrainOutbound()
    {
        bool worked = false;
        fixed (PolledMessage* drained = _drained)
        {
            // Messages taken out of the ring are all routed even if a peer's outbox reaches the
            // ring's limit meanwhile: the outbox keeps room beyond it (PeerLink.HoldsBackRing).
            int n = 0;
            while (n < 4096 && !_outboundBlocked)
            {
                uint count = _outRing.PollRun(drained, DrainBatch);
                if (count == 0)
                {
                    break;
                }
                for (uint i = 0; i < count; i++)
                {
                    Route(in drained[i].Message, drained[i].Meta, drained[i].Aux);
                }
                n += (int)count;
                worked = true;
            }
            if (n > 0)
            {
                _lastDrain = n;
                _drainedSinceIdle = true;
            }
        }
        return worked;
    }

    /// <summary>Decides where one outbound message goes and hands it on.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Route(in Message message, int meta, ulong route)
    {
        int destination = DcView.RouteDestination(route);
        int dcid = DcView.RouteDc(route);
        int kind = RingMeta.Kind(meta);
        int sequence = RingMeta.RequestSequence(meta);
        if ((uint)dcid >= SegmentLayout.MaxDcs || !_dcs[dcid].HasValue)
        {
            Count(NodeCounter.DropOther);
            return;
        }
        ref readonly DcView dc = ref Nullable.GetValueRefOrDefaultRef(in _dcs[dcid]);   // no copy per message (see TryDeliver)
        EnsureSourceAnnounced(dc, message.Source);
        if (kind == SegmentLayout.KindVCopy)
        {
            _copies.Route(dc, destination, in message, sequence);
            return;
        }
        int index = dc.SlotIndexOf(destination);
        // Per-sender order across a handover (see DrainStubBefore). A remote destination's own ring
        // here is empty unless a sender put a message in it while it was still migrating: only
        // then take the stub lock, not for every message of a node that once migrated something.
        if (_stubCount != 0 && index >= 0 && !dc.InboundRing(index).LooksEmpty)
        {
            DrainStubBefore(dcid, index);
        }
        EndpointSlot* slot = index < 0 ? null : dc.Slot(index);
        int node = slot == null ? -1 : slot->OwnerNode;
        uint state = slot == null ? SegmentLayout.SlotFree : Volatile.Read(ref slot->State);
        if (slot == null || state != SegmentLayout.SlotRemote || slot->Endpoint != destination ||
            (uint)node >= SegmentLayout.MaxNodes || _sessions[node] is null)
        {
            if (slot != null && state is SegmentLayout.SlotLocal or SegmentLayout.SlotMigrating && slot->Endpoint == destination &&
                kind is SegmentLayout.KindSend or SegmentLayout.KindSendRec)
            {
                // Bound here since its sender looked (a migration's target): delivered here, behind
                // what this node sent the old owner before (its own FENCE), not dropped.
                DeliverRoutedHere(dc, index, slot, in message, meta, ClientIncarnation.Make(_incarnation, ClientIncarnation.BindCountOfRoute(route)));
                return;
            }
            FailLocalCaller(dc, kind, in message, DvsError.DstDied);
            Count(NodeCounter.DropUnknownEndpoint);
            return;
        }
        // A request names the binding that sent it; a reply names the binding it is for (its bind
        // count came in the route, its node is the peer's incarnation the server checked).
        ulong incarnation = kind switch
        {
            SegmentLayout.KindSendRec => ClientIncarnation.Make(_incarnation, ClientIncarnation.BindCountOfRoute(route)),
            SegmentLayout.KindReply or SegmentLayout.KindReplyFailed => ClientIncarnation.Make(Volatile.Read(ref _nodes[node].Incarnation), ClientIncarnation.BindCountOfRoute(route)),
            _ => 0,
        };
        SendFromRing(node, new MessageHeader((ushort)dcid, (byte)kind, destination, slot->Epoch, (uint)sequence, incarnation), in message);
    }

    /// <summary>
    /// Takes a message for a local endpoint into the session's run (see <see cref="DeliveryRun"/>),
    /// handing the run on first if it is for another endpoint. False while anything waits in an
    /// overflow queue: then the message takes the per-message path, which keeps it behind what
    /// waits for its endpoint.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private bool TryAddToRun(ReliableSession session, in DcView dc, int index, in Message message, int meta, ulong incarnation)
    {
        DeliveryRun run = _runs[session.PeerNode]!;
        if (!run.Accepts(dc.DcId, index))
        {
            FlushRun(run);
        }
        if (Volatile.Read(ref _overflowCount) != 0)
        {
            FlushRun(run);
            return false;
        }
        run.Add(dc.DcId, index, in message, meta, incarnation);
        if (run.IsFull)
        {
            FlushRun(run);
        }
        return true;
    }

    private void FlushRun(ReliableSession session) => FlushRun(_runs[session.PeerNode]!);

    /// <summary>
    /// Hands a run on: into the endpoint's ring in one native call, and what did not fit into its
    /// overflow queue (always accepted: the session counted these messages delivered already; the
    /// run is far smaller than the queue limits, which apply to the messages after it).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void FlushRun(DeliveryRun run)
    {
        int count = run.Count;
        if (count == 0)
        {
            return;
        }
        ref readonly DcView dc = ref Nullable.GetValueRefOrDefaultRef(in _dcs[run.DcId]);
        EndpointSlot* slot = dc.Slot(run.Index);
        uint placed = dc.InboundRing(run.Index).OfferRun(run.Messages, (uint)count);
        for (int i = (int)placed; i < count; i++)
        {
            ref readonly PolledMessage m = ref run[i];
            DeliverOrQueue(dc, run.Index, slot, in m.Message, m.Meta, m.Aux, mustAccept: true);
        }
        Count(NodeCounter.MessagesReceived, count);
        run.Clear();
    }

    /// <summary>Into the endpoint's ring, or behind what already waits for it. False: hold the session back.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private bool DeliverOrQueue(in DcView dc, int index, EndpointSlot* slot, in Message message, int meta, ulong incarnation, bool mustAccept = false)
    {
        if (Volatile.Read(ref _overflowCount) == 0)
        {
            // Nothing waits anywhere, so nothing waits for this endpoint either: straight into its
            // ring without the lock (its thread-id lookup was 10% of the inbound thread's time). A
            // session delivers under its own lock, so its order holds; another session may queue
            // meanwhile, but messages of different peers have no order between them.
            fixed (Message* direct = &message)   // the message in the frame buffer: no copy
            {
                if (dc.InboundRing(index).TryOffer(direct, meta, incarnation))
                {
                    return true;
                }
            }
        }
        int key = (dc.DcId << 16) | index;
        lock (_overflowLock)
        {
            Queue<HeldMessage>? waiting = _overflowCount > 0 ? _overflow.GetValueOrDefault(key) : null;
            if (waiting is null or { Count: 0 })
            {
                Message copy = message;
                if (dc.InboundRing(index).TryOffer(&copy, meta, incarnation))
                {
                    return true;
                }
            }
            if (!mustAccept && (_overflowCount >= OverflowTotal || (waiting?.Count ?? 0) >= OverflowPerEndpoint))
            {
                return false;
            }
            if (waiting is null)
            {
                _overflow[key] = waiting = new Queue<HeldMessage>();
            }
            waiting.Enqueue(new HeldMessage(message, meta, incarnation));
            _overflowCount++;
            Count(NodeCounter.InboundOverflowed);
            WatchForSpace(dc.InboundRing(index));
            return true;
        }
    }

    /// <summary>
    /// Asks the ring's consumer to wake the outbound thread once the ring is down to an eighth
    /// (EndpointReceiver.WakeProxyForOverflow); if it already is (the consumer drained it before it could
    /// see the flag), wakes it here. Without this the overflow moved only at the 1 ms idle poll.
    /// </summary>
    private void WatchForSpace(EndpointRing ring)
    {
        ring.MarkProxyWaiting();
        if (ring.Count <= Endpoint.OverflowWakeLevel(ring.Capacity))
        {
            Interlocked.Increment(ref _proxySlot->WakeSeq);
            Doorbell.Ring(_proxySlot);
        }
    }

    /// <summary>Moves overflow into rings that have room again; fails requests whose endpoint went away.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
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
                    if (bound && !dc.InboundRing(index).TryOffer(&message, meta, incarnation))
                    {
                        WatchForSpace(dc.InboundRing(index));
                        break;
                    }
                    if (!bound && state == SegmentLayout.SlotRemote && (uint)slot->OwnerNode < SegmentLayout.MaxNodes &&
                        _links[slot->OwnerNode] is { HoldsBackRing: true })
                    {
                        break;   // the new owner's outbox is near full: wait there, in order, not dropped
                    }
                    if (!bound && state == SegmentLayout.SlotRemote)
                    {
                        // It migrated away meanwhile: follow it.
                        if (Post(slot->OwnerNode, new MessageHeader((ushort)dcid, (byte)RingMeta.Kind(meta),
                            slot->Endpoint, slot->Epoch, (uint)RingMeta.RequestSequence(meta), incarnation), message))
                        {
                            Count(NodeCounter.Forwarded);
                        }
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

    /// <summary>Moves what waits in the overflow for one endpoint into <paramref name="into"/>, in order (a handover forwards it).</summary>
    private void TakeOverflow(int dcid, int index, List<HeldMessage> into)
    {
        if (!HasOverflow)
        {
            return;
        }
        lock (_overflowLock)
        {
            if (_overflow.TryGetValue((dcid << 16) | index, out Queue<HeldMessage>? queue))
            {
                while (queue.TryDequeue(out HeldMessage held))
                {
                    into.Add(held);
                    _overflowCount--;
                }
            }
        }
    }

    /// <summary>A request from another node that can no longer be delivered: answer it with an error.</summary>
    private void FailRemoteCaller(in DcView dc, in Message request, int meta, DvsError error)
    {
        if (!RingMeta.IsRequest(meta))
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
            Post(slot->OwnerNode, new MessageHeader((ushort)dc.DcId, CallKind.ReplyError, request.Source, 0, (uint)RingMeta.RequestSequence(meta)), fail);
        }
    }
}
