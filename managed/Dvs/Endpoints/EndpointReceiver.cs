using System.Runtime.CompilerServices;
using Dvs.Ipc;
using Dvs.Layout;

namespace Dvs.Endpoints;

/// <summary>
/// The receiving side of a bound endpoint: Receive, ReceiveRequest and Reply; the set-aside
/// (deferred) queue of a selective receive and the hold of other senders while it is full; the
/// latest request of each client, which a Reply answers. Owns that state; one thread at a time
/// (the caller's, or the async pump's), except <see cref="Interrupt"/> (any thread).
/// </summary>
internal sealed unsafe class EndpointReceiver
{
    private readonly EndpointBinding _binding;
    private readonly DcView _dc;
    private readonly EndpointSlot* _self;
    private readonly EndpointRing _ring;
    private readonly int _index;
    private readonly int _number;
    private readonly WaitStrategy _wait;
    private readonly DeferredQueue _deferred;
    private readonly int[] _lastRequest;
    private readonly ulong[] _lastRequestIncarnation;
    private volatile int _interrupt;
    /// <summary>
    /// One bit per recent Reply, newest in bit 0: set when it went to a client on this node. A
    /// server whose last 16 replies all went to other nodes waits for its next request like a
    /// client waits for a remote reply (no spin): that request is a node-host hop away, and
    /// spinning took the CPU its node host needed to send the reply (cross-node SendRec with
    /// Default endpoints on 2 cores: 155 us spinning, ~105 us not; docs/benchmarks). One local
    /// client among them is enough to keep spinning, so a mix of local and remote clients keeps
    /// the local calls fast (always skipping the spin halved that mix's call rate).
    /// </summary>
    private ushort _recentLocalReplies = ushort.MaxValue;

    /// <summary>The receiving side of <paramref name="binding"/>.</summary>
    /// <param name="binding">The endpoint's binding.</param>
    public EndpointReceiver(EndpointBinding binding)
    {
        _binding = binding;
        _dc = binding.Dc;
        _self = binding.Self;
        _index = binding.Index;
        _ring = _dc.InboundRing(_index);
        _number = binding.Number;
        _wait = binding.Wait;
        _deferred = new DeferredQueue((int)_dc.RingCapacity * 4, _dc.NrSlots, SlotIndexOfSource);
        _lastRequest = new int[_dc.NrSlots];
        _lastRequestIncarnation = new ulong[_dc.NrSlots];
    }

    private int SlotIndexOfSource(int source) => _dc.SlotIndexOf(source);

    /// <summary>Makes a Receive / ReceiveRequest waiting on this endpoint return <see cref="DvsError.Intr"/> (from any thread).</summary>
    public void Interrupt()
    {
        _interrupt = 1;
        Interlocked.MemoryBarrier();
        Doorbell.Wake(&_self->WakeSeq);
    }

    /// <summary>Whether the latest message taken was a request (SendRec), not a one-way Send.</summary>
    public bool LastTakenWasRequest { get; private set; }

    /// <summary>The request sequence of the latest request taken from <paramref name="source"/>.</summary>
    /// <param name="source">The client.</param>
    public int RequestSequenceOf(int source)
    {
        int index = _dc.SlotIndexOf(source);
        return index < 0 ? 0 : _lastRequest[index];
    }

    /// <summary>The incarnation of the client that sent the latest request taken from <paramref name="source"/> (0: unknown).</summary>
    /// <param name="source">The client.</param>
    public ulong RequestIncarnationOf(int source)
    {
        int index = _dc.SlotIndexOf(source);
        return index < 0 ? 0 : _lastRequestIncarnation[index];
    }

    /// <summary>Sets the request sequence a Reply to <paramref name="source"/> answers (a cached reply of a moved table).</summary>
    /// <param name="source">The client.</param>
    /// <param name="sequence">Its request sequence.</param>
    public void SetRequestSequence(int source, int sequence)
    {
        int index = _dc.SlotIndexOf(source);
        if (index >= 0)
        {
            _lastRequest[index] = sequence;
        }
    }

    /// <summary>Takes every queued message (deferred first, then the ring), in arrival order, with its meta.</summary>
    /// <param name="into">Receives them.</param>
    public void DrainHeld(List<HeldMessage> into)
    {
        while (_deferred.TryTake(EndpointNumber.Any, requestsOnly: false, out Message m, out int meta, out ulong incarnation))
        {
            into.Add(new HeldMessage(m, meta, incarnation));
        }
        Message polled;
        int polledMeta;
        ulong polledIncarnation;
        while (_ring.TryPoll(&polled, &polledMeta, &polledIncarnation))
        {
            into.Add(new HeldMessage(polled, polledMeta, polledIncarnation));
        }
    }

    /// <summary>Puts messages back in front of everything queued, in their order (served first).</summary>
    /// <param name="held">The messages.</param>
    public void Requeue(IReadOnlyList<HeldMessage> held) => _deferred.InsertFront(held);

    /// <summary>Endpoint.Receive: notifications first, then the set-aside queue, then the ring.</summary>
    /// <param name="source">One source, or EndpointNumber.Any.</param>
    /// <param name="message">The message taken.</param>
    /// <param name="timeout">How long to wait.</param>
    public DvsError Receive(int source, out Message message, DvsTimeout timeout)
    {
        message = default;
        DvsError error = _binding.CheckSelf(privilegedOnly: true);
        if (error != DvsError.Ok)
        {
            return error;
        }
        int sourceIndex = -1;
        if (source != EndpointNumber.Any)
        {
            sourceIndex = _dc.SlotIndexOf(source);
            if (sourceIndex < 0)
            {
                return DvsError.BadProc;
            }
        }
        var condition = new Received(this, source, sourceIndex, requestsOnly: false);
        error = WaitOwn(ref condition, timeout);
        ReleaseHold();
        if (error == DvsError.Ok)
        {
            message = condition.Message;
        }
        return error;
    }

    /// <summary>Endpoint.ReceiveRequest: the next message sent with SendRec, from any source.</summary>
    /// <param name="message">The request taken.</param>
    /// <param name="timeout">How long to wait.</param>
    public DvsError ReceiveRequest(out Message message, DvsTimeout timeout)
    {
        message = default;
        DvsError error = _binding.CheckSelf(privilegedOnly: true);
        if (error != DvsError.Ok)
        {
            return error;
        }
        var condition = new Received(this, EndpointNumber.Any, -1, requestsOnly: true);
        error = WaitOwn(ref condition, timeout);
        ReleaseHold();
        if (error == DvsError.Ok)
        {
            message = condition.Message;
        }
        return error;
    }

    /// <summary>Endpoint.Reply: to the binding whose latest request was taken from <paramref name="destination"/>.</summary>
    /// <param name="destination">The client.</param>
    /// <param name="message">The reply.</param>
    /// <param name="failed">End the SendRec with the DvsError in the message's Type instead (ReplyWord.Failed).</param>
    public DvsError Reply(int destination, in Message message, bool failed = false)
    {
        DvsError error = message.Type == Message.NotifyType ? DvsError.Invalid : _binding.CheckSelf(privilegedOnly: true);
        if (error != DvsError.Ok)
        {
            return error;
        }
        error = _binding.Resolve(destination, out int index, out bool remote);
        if (error != DvsError.Ok)
        {
            return error;
        }
        int sequence = _lastRequest[index];
        if (sequence == 0)
        {
            return DvsError.ProcSts;    // no request of that endpoint is waiting for a reply
        }
        // The reply goes to the binding that sent the request (issue 11.1), never to a later
        // binding of the same endpoint number that restarted its sequences.
        ulong client = _lastRequestIncarnation[index];
        _recentLocalReplies = (ushort)((_recentLocalReplies << 1) | (remote ? 0 : 1));
        Message reply = message;
        reply.Source = _number;
        if (remote)
        {
            // The caller's node checks that the same binding still waits for exactly this request;
            // a caller whose node restarted since is gone with it.
            if (!_binding.SameNodeIncarnation(index, client))
            {
                _lastRequest[index] = 0;
                return DvsError.ProcSts;
            }
            error = _binding.Offer(index, destination, remote: true, &reply, RingMeta.Pack(failed ? SegmentLayout.KindReplyFailed : SegmentLayout.KindReply, sequence),
                ClientIncarnation.BindCount(client), long.MaxValue, noWait: false);
            if (error == DvsError.Ok)
            {
                _lastRequest[index] = 0;
            }
            return error;
        }
        if (!ReplyHandOff.TryDeliver(_dc.Slot(index), sequence, _number, ClientIncarnation.BindCount(client), in reply,
                failed ? ReplyWord.Failed : ReplyWord.Done))
        {
            return DvsError.ProcSts;
        }
        _lastRequest[index] = 0;
        _self->Sent++;
        return DvsError.Ok;
    }

    private DvsError WaitOwn<T>(ref T condition, DvsTimeout timeout) where T : struct, IWaitCondition
    {
        if (timeout.IsNoWait)
        {
            int r = condition.Poll();
            return r > 0 ? DvsError.Ok : r < 0 ? (DvsError)r : DvsError.Again;
        }
        WaitStrategy wait = _recentLocalReplies == 0 ? _binding.WithoutSpin : _wait;
        return Waiter.Wait(ref condition, &_self->WakeSeq, &_self->Sleeping, &_self->WakePending, wait, Waiter.Deadline(timeout));
    }

    /// <summary>One attempt to take a message: notifications, then deferred messages, then the ring.</summary>
    private int TryTake(int source, int sourceIndex, bool requestsOnly, out Message message)
    {
        if (!requestsOnly && Volatile.Read(ref _self->NotifySummary) != 0 && TryTakeNotify(sourceIndex, out message))
        {
            _self->Received++;
            return 1;
        }
        int meta;
        ulong incarnation;
        if (_deferred.Count > 0 && _deferred.TryTake(source, requestsOnly, out message, out meta, out incarnation))
        {
            Accept(in message, meta, incarnation);
            return 1;
        }
        Message polled;
        while ((!_deferred.IsFull || MayHold(source, requestsOnly)) &&
               _ring.TryPoll(&polled, &meta, &incarnation))
        {
            if (_ring.IsProxyWaiting)
            {
                WakeProxyForOverflow();
            }
            if ((source == EndpointNumber.Any || polled.Source == source) &&
                (!requestsOnly || RingMeta.IsRequest(meta)))
            {
                message = polled;
                Accept(in message, meta, incarnation);
                return 1;
            }
            _deferred.Add(in polled, meta, incarnation);
        }
        message = default;
        return 0;
    }

    /// <summary>
    /// The set-aside queue is full. A receive from anyone waits, as its senders do. A receive from
    /// one source (or of requests) would wait forever behind the others' messages filling the ring
    /// (issue 11.13): instead it holds every other sender back (the ring refuses their messages as
    /// if it were full: dvs_held_back in native/src/dvs_ring.c, for the node host's deliveries
    /// too) and keeps draining the ring. The hold lasts until the queue is below its bound again,
    /// so it grows past the bound only by what was in the ring when a hold began or changed
    /// source, plus one message per sender that looked before; twice the bound stops it for good.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool MayHold(int source, bool requestsOnly)
    {
        if ((source == EndpointNumber.Any && !requestsOnly) || _deferred.Count >= 2 * _deferred.Bound)
        {
            return false;
        }
        if (Volatile.Read(ref _self->Hold) == 0 || Volatile.Read(ref _self->HoldFor) != source)
        {
            Volatile.Write(ref _self->HoldFor, source);
            Interlocked.Exchange(ref _self->Hold, 1u);  // a full fence: senders that offer after it see it
        }
        return true;
    }

    /// <summary>Ends a hold once the set-aside queue is below its bound, and wakes the senders it held back.</summary>
    private void ReleaseHold()
    {
        if (Volatile.Read(ref _self->Hold) != 0 && !_deferred.IsFull)
        {
            Interlocked.Exchange(ref _self->Hold, 0u);
            _ring.WakeSpaceWaiters();
        }
    }

    /// <summary>
    /// The node proxy holds messages from other nodes for this ring (it was full): once the ring
    /// is down to an eighth, wake the proxy to move them in, instead of leaving it to its 1 ms poll
    /// (a cross-node sink waited out that poll every few hundred messages). Bumping the word also
    /// stops a proxy that is about to sleep. An eighth, not half: each wake-up costs the pipeline a
    /// hand-off, and fewer of them moved more (docs/benchmarks/notes-moved-from-code.md).
    /// </summary>
    public static uint OverflowWakeLevel(uint capacity) => capacity / 8;

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void WakeProxyForOverflow()
    {
        if (_ring.Count <= OverflowWakeLevel(_ring.Capacity) && _ring.TakeProxyWaiting())
        {
            EndpointSlot* proxy = _dc.Proxy;
            Interlocked.Increment(ref proxy->WakeSeq);
            Doorbell.Ring(proxy);
        }
    }

    private void Accept(in Message message, int meta, ulong incarnation)
    {
        LastTakenWasRequest = RingMeta.IsRequest(meta);
        if (LastTakenWasRequest)
        {
            int from = _dc.SlotIndexOf(message.Source);
            if (from >= 0)
            {
                _lastRequest[from] = RingMeta.RequestSequence(meta);
                _lastRequestIncarnation[from] = incarnation;
            }
        }
        _self->Received++;
    }

    private bool TryTakeNotify(int sourceIndex, out Message message)
    {
        ulong* words = _dc.Notify(_index);
        int from = -1;
        if (sourceIndex >= 0)
        {
            ulong bit = 1UL << (sourceIndex & 63);
            ref ulong word = ref words[sourceIndex >> 6];
            if ((Volatile.Read(ref word) & bit) != 0 && (Interlocked.And(ref word, ~bit) & bit) != 0)
            {
                from = sourceIndex;
            }
        }
        else
        {
            ulong summary = Interlocked.Exchange(ref _self->NotifySummary, 0UL);
            ulong keep = 0;
            while (summary != 0)
            {
                int w = System.Numerics.BitOperations.TrailingZeroCount(summary);
                summary &= summary - 1;
                if (from >= 0)
                {
                    keep |= 1UL << w;   // not looked at this time: stays pending
                    continue;
                }
                ulong bits = Interlocked.Exchange(ref words[w], 0UL);
                if (bits == 0)
                {
                    continue;
                }
                int b = System.Numerics.BitOperations.TrailingZeroCount(bits);
                from = (w << 6) + b;
                ulong rest = bits & ~(1UL << b);
                if (rest != 0)
                {
                    Interlocked.Or(ref words[w], rest);
                    keep |= 1UL << w;
                }
            }
            if (keep != 0)
            {
                Interlocked.Or(ref _self->NotifySummary, keep);
            }
        }
        message = default;
        if (from < 0)
        {
            return false;
        }
        message.Source = _dc.Slot(from)->Endpoint;
        message.Type = Message.NotifyType;
        return true;
    }

    // ---------------------------------------------------------------- wait conditions

    private struct Received : IWaitCondition
    {
        private readonly EndpointReceiver _owner;
        private readonly int _source;
        private readonly int _sourceIndex;
        private readonly bool _requestsOnly;
        public Message Message;

        public Received(EndpointReceiver owner, int source, int sourceIndex, bool requestsOnly)
        {
            _owner = owner;
            _source = source;
            _sourceIndex = sourceIndex;
            _requestsOnly = requestsOnly;
            Message = default;
        }

        public int Poll()
        {
            if (_owner._interrupt != 0 || (Volatile.Read(ref _owner._self->Flags) & (uint)Layout.SlotFlags.MigrateRequest) != 0)
            {
                _owner._interrupt = 0;
                Message = default;
                return (int)DvsError.Intr;
            }
            int taken = _owner.TryTake(_source, _sourceIndex, _requestsOnly, out Message);
            return taken == 0 && _owner._binding.Canceled ? (int)DvsError.Canceled : taken;
        }

        public DvsError CheckPeer()
        {
            DvsError self = _owner._binding.CheckSelf(privilegedOnly: false);
            if (self == DvsError.Ok)
            {
                self = _owner._binding.HostError(needsProxy: false);
            }
            if (self != DvsError.Ok || _sourceIndex < 0)
            {
                return self;
            }
            return _owner._binding.PeerState(_sourceIndex, _source, DvsError.SrcDied);
        }
    }
}
