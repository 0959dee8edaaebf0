using System.Runtime.CompilerServices;
using Dvs.Interop;
using Dvs.Ipc;
using Dvs.Layout;

namespace Dvs.Endpoints;

/// <summary>
/// The calling side of a bound endpoint: Send, SendRec (its retries and its replay after a
/// migration), Notify and VCopy, and the wait for a reply. Owns the request sequence and the
/// latest request; one thread at a time (the caller's, or the async pump's).
/// </summary>
internal sealed unsafe class EndpointCaller
{
    private readonly EndpointBinding _binding;
    private readonly DcView _dc;
    private readonly EndpointSlot* _self;
    private readonly int _index;
    private readonly int _number;
    private readonly WaitStrategy _wait;
    private readonly ulong _incarnation;
    private readonly uint _bindCount;
    private int _nextSequence;
    private RequestId _lastSent;

    /// <summary>The calling side of <paramref name="binding"/>.</summary>
    /// <param name="binding">The endpoint's binding.</param>
    public EndpointCaller(EndpointBinding binding)
    {
        _binding = binding;
        _dc = binding.Dc;
        _self = binding.Self;
        _index = binding.Index;
        _number = binding.Number;
        _wait = binding.Wait;
        _incarnation = binding.Incarnation;
        _bindCount = binding.BindCount;
    }

    /// <summary>One look for the reply of the request under way: 1 with it, a DvsError, or 0 while it is awaited.</summary>
    /// <param name="destination">The server.</param>
    /// <param name="message">The reply, when 1.</param>
    public int PollReply(int destination, out Message message)
    {
        var reply = new ReplyArrived(this, destination);
        int r = reply.Poll();
        message = reply.Message;
        return r;
    }

    /// <summary>Endpoint.Send: into the destination's ring (or the outbound ring), waiting only while it is full.</summary>
    /// <param name="destination">The receiver.</param>
    /// <param name="message">The message.</param>
    /// <param name="timeout">How long to wait for ring space.</param>
    public DvsError Send(int destination, in Message message, DvsTimeout timeout)
    {
        DvsError error = message.Type == Message.NotifyType ? DvsError.Invalid : _binding.CheckSelf(privilegedOnly: true);
        if (error == DvsError.Ok)
        {
            error = _binding.Resolve(destination, out int index, out bool remote);
            if (error == DvsError.Ok)
            {
                Message copy = message;
                copy.Source = _number;
                error = _binding.Offer(index, destination, remote, &copy, SegmentLayout.KindSend, _bindCount, Waiter.Deadline(timeout), timeout.IsNoWait);
            }
        }
        return error;
    }

    /// <summary>
    /// The latest request this binding sent with SendRec, SendRecAsync or RetrySendRec, whatever
    /// its outcome; <c>default</c> before the first.
    /// </summary>
    public RequestId LastRequest
    {
        get => _lastSent;
        set => _lastSent = value;
    }

    /// <summary>A new request sequence, remembered as <see cref="LastRequest"/>.</summary>
    public int NewRequest(int destination)
    {
        int sequence = NextSequence();
        _lastSent = new RequestId(destination, sequence, _incarnation);
        return sequence;
    }

    /// <summary>Endpoint.SendRec as request <paramref name="sequence"/>: a new one, or a retry of the same.</summary>
    /// <param name="destination">The server.</param>
    /// <param name="message">The request; the reply replaces it.</param>
    /// <param name="timeout">For the whole call.</param>
    /// <param name="sequence">The request sequence.</param>
    public DvsError SendRec(int destination, ref Message message, DvsTimeout timeout, int sequence)
    {
        if (timeout.IsNoWait)
        {
            return RefuseNoWait(destination);
        }
        long deadline = Waiter.Deadline(timeout);
        Message request = message;
        for (int attempt = 0; ; attempt++)
        {
            int index = _dc.SlotIndexOf(destination);
            EndpointSlot* slot = index < 0 ? null : _dc.Slot(index);
            int owner = slot == null ? -1 : slot->OwnerNode;
            uint epoch = slot == null ? 0 : slot->Epoch;
            DvsError error = BeginSendRec(destination, in request, deadline, timeout.IsNoWait, sequence, out ulong awaiting);
            if (error == DvsError.Ok)
            {
                Message reply = request;
                error = WaitReply(destination, awaiting, ref reply, deadline);
                if (error == DvsError.Ok)
                {
                    message = reply;
                    return error;
                }
            }
            // The server moved (migration) while the request was on its way to the old node, and
            // that node is gone or answered for it: replay the same request (same sequence, so the
            // server's exactly-once table answers it at most once) to where it lives now. The
            // original DVS replayed on EDVSMIGRATE the same way, invisibly to the caller.
            if (attempt >= 3 || slot == null || !IsReplayable(error) || !WaitForMove(slot, destination, owner, epoch, error == DvsError.Migrate, deadline))
            {
                return error;
            }
        }
    }

    /// <summary>
    /// A reply from another node takes tens of microseconds at best: spinning for it only steals
    /// the CPU the node hosts need to bring it (measured: 6 spinning clients on 2 cores slowed
    /// cross-node calls ~10x). Spin for local peers only, unless told to spin always.
    /// </summary>
    private WaitStrategy WaitFor(int destination)
    {
        int index = _dc.SlotIndexOf(destination);
        return index >= 0 && Volatile.Read(ref _dc.Slot(index)->State) == SegmentLayout.SlotRemote ? _binding.WithoutSpin : _wait;
    }

    private static bool IsReplayable(DvsError error) =>
        error is DvsError.NotConnected or DvsError.DstDied or DvsError.Migrate or DvsError.NotBind;

    /// <summary>
    /// Waits (bounded) until the destination's slot shows a new owner or epoch; false at once when
    /// no move is under way (the slot is neither migrating nor changing hands, and the error is not
    /// Migrate): then the error is the answer, not a step of a migration.
    /// </summary>
    private bool WaitForMove(EndpointSlot* slot, int destination, int owner, uint epoch, bool migrating, long deadline)
    {
        var moved = new Moved(slot, destination, owner, epoch, migrating);
        long bound = Math.Min(deadline, System.Diagnostics.Stopwatch.GetTimestamp() + 2 * System.Diagnostics.Stopwatch.Frequency);
        return Waiter.Wait(ref moved, &slot->WakeSeq, &slot->Sleeping, &slot->WakePending, WaitStrategy.Blocking, bound) == DvsError.Ok;
    }

    private int NextSequence() =>
        _nextSequence = (_nextSequence & ReplyWord.SequenceMask) == ReplyWord.SequenceMask ? 1 : _nextSequence + 1;

    /// <summary>Endpoint.Notify: sets this endpoint's pending bit at the destination (routed when remote).</summary>
    /// <param name="destination">The endpoint notified.</param>
    public DvsError Notify(int destination)
    {
        DvsError error = _binding.CheckSelf(privilegedOnly: true);
        if (error != DvsError.Ok)
        {
            return error;
        }
        error = _binding.Resolve(destination, out int index, out bool remote);
        if (error != DvsError.Ok)
        {
            return error;
        }
        if (remote)
        {
            Message note = default;
            note.Source = _number;
            return _binding.Offer(index, destination, remote: true, &note, SegmentLayout.KindNotify, _bindCount, long.MaxValue, noWait: false);
        }
        EndpointSlot* target = _dc.Slot(index);
        ulong* words = _dc.Notify(index);
        int word = _index >> 6;
        Interlocked.Or(ref words[word], 1UL << (_index & 63));
        Interlocked.Or(ref target->NotifySummary, 1UL << word);
        Doorbell.Ring(target);
        _self->Sent++;
        return DvsError.Ok;
    }

    /// <summary>Endpoint.VCopy: one kernel copy between the owners' memories, or a copy through the node hosts.</summary>
    /// <param name="sourceEndpoint">The owner of the source range.</param>
    /// <param name="sourceAddress">Its address there.</param>
    /// <param name="destinationEndpoint">The owner of the destination range.</param>
    /// <param name="destinationAddress">Its address there.</param>
    /// <param name="bytes">How many bytes.</param>
    public DvsError VCopy(int sourceEndpoint, nint sourceAddress, int destinationEndpoint, nint destinationAddress, long bytes)
    {
        DvsError error = _binding.CheckSelf(privilegedOnly: true);
        if (error != DvsError.Ok)
        {
            return error;
        }
        if (bytes < 0)
        {
            return DvsError.Invalid;
        }
        if (sourceEndpoint == EndpointNumber.Self)
        {
            sourceEndpoint = _number;
        }
        if (destinationEndpoint == EndpointNumber.Self)
        {
            destinationEndpoint = _number;
        }
        error = _binding.OwnerOf(sourceEndpoint, out int sourcePid, out bool sourceRemote);
        if (error != DvsError.Ok)
        {
            return error;
        }
        error = _binding.OwnerOf(destinationEndpoint, out int destinationPid, out bool destinationRemote);
        if (error != DvsError.Ok)
        {
            return error;
        }
        if (bytes == 0)
        {
            return DvsError.Ok;
        }
        if (sourceRemote || destinationRemote)
        {
            return RemoteVCopy(sourceEndpoint, sourceAddress, destinationEndpoint, destinationAddress, bytes);
        }
        EndpointSlot* source = _dc.Slot(sourceEndpoint == _number ? _index : _dc.SlotIndexOf(sourceEndpoint));
        EndpointSlot* destination = _dc.Slot(destinationEndpoint == _number ? _index : _dc.SlotIndexOf(destinationEndpoint));
        // Announce the copy on both slots, then look at their state; a migration does the opposite
        // (MIGRATING, then look at the counts). Both are full fences, so one of the two sees the other:
        // a service's memory is never copied while its snapshot is taken.
        Interlocked.Increment(ref source->Copies);
        Interlocked.Increment(ref destination->Copies);
        int rc;
        bool migrating;
        try
        {
            migrating = Volatile.Read(ref source->State) == SegmentLayout.SlotMigrating ||
                        Volatile.Read(ref destination->State) == SegmentLayout.SlotMigrating;
            if (!migrating)
            {
                DuringLocalCopy?.Invoke();
            }
            rc = migrating ? 0 : Shim.VCopy(sourcePid, (ulong)sourceAddress, destinationPid, (ulong)destinationAddress, (ulong)bytes);
        }
        finally
        {
            Interlocked.Decrement(ref source->Copies);
            Interlocked.Decrement(ref destination->Copies);
        }
        if (migrating)
        {
            // Wait for the migration to commit (then the copy goes to the new node) or roll back.
            return WaitOutMigration(source, destination)
                ? VCopy(sourceEndpoint, sourceAddress, destinationEndpoint, destinationAddress, bytes)
                : DvsError.Migrate;
        }
        if (rc != 0)
        {
            return Shim.ErrCode() switch
            {
                3 => DvsError.DeadSrcDst,   // ESRCH: the other process is gone
                1 => DvsError.Perm,         // EPERM
                12 => DvsError.NoMem,
                _ => DvsError.Fault,        // EFAULT and the rest: a bad address range
            };
        }
        return DvsError.Ok;
    }

    /// <summary>Tests: runs inside a local <see cref="VCopy"/>, while the copy is announced on both slots.</summary>
    public Action? DuringLocalCopy { get; set; }

    /// <summary>
    /// A copy with a side on another node: the node of the source streams the bytes to the node of
    /// the destination (in chunks, any size), which writes them and reports completion here.
    /// </summary>
    private DvsError RemoteVCopy(int sourceEndpoint, nint sourceAddress, int destinationEndpoint, nint destinationAddress, long bytes)
    {
        int sequence = NextSequence();
        ulong awaiting = ReplyHandOff.Await(_self, sequence, sourceEndpoint);
        var request = new Message(0) { [0] = sourceAddress, [1] = destinationEndpoint, [2] = destinationAddress, [3] = bytes };
        request.Source = _number;
        if (!_dc.Outbound.TryOffer(&request, RingMeta.Pack(SegmentLayout.KindVCopy, sequence), _dc.Route(sourceEndpoint)))
        {
            ReplyHandOff.Withdraw(_self);
            return DvsError.Again;
        }
        Message completion = default;
        return WaitReply(sourceEndpoint, awaiting, ref completion, long.MaxValue);
    }

    /// <summary>Waits until neither slot is MIGRATING (a migration ends within its timeout); false after 60 s.</summary>
    private static bool WaitOutMigration(EndpointSlot* source, EndpointSlot* destination)
    {
        long deadline = Environment.TickCount64 + 60_000;
        var spin = new SpinWait();
        while (Volatile.Read(ref source->State) == SegmentLayout.SlotMigrating ||
               Volatile.Read(ref destination->State) == SegmentLayout.SlotMigrating)
        {
            if (Environment.TickCount64 > deadline)
            {
                return false;
            }
            spin.SpinOnce(sleep1Threshold: 20);
        }
        return true;
    }

    /// <summary>SendRec with NoWait: the call's own errors, else BadCall; never sends.</summary>
    /// <param name="destination">The server.</param>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public DvsError RefuseNoWait(int destination)
    {
        DvsError error = _binding.CheckSelf(privilegedOnly: false);
        if (error == DvsError.Ok)
        {
            error = destination == _number ? DvsError.Deadlock : _binding.Resolve(destination, out _, out _);
        }
        return error == DvsError.Ok ? DvsError.BadCall : error;
    }

    /// <summary>Arms the reply word and offers request <paramref name="sequence"/>; disarms it when the offer fails.</summary>
    /// <param name="destination">The server.</param>
    /// <param name="message">The request.</param>
    /// <param name="deadline">Stopwatch ticks.</param>
    /// <param name="noWait">Fail with Again when the ring is full.</param>
    /// <param name="sequence">The request sequence.</param>
    /// <param name="awaiting">The armed reply word.</param>
    public DvsError BeginSendRec(int destination, in Message message, long deadline, bool noWait, int sequence, out ulong awaiting)
    {
        awaiting = 0;
        DvsError error = message.Type == Message.NotifyType ? DvsError.Invalid : _binding.CheckSelf(privilegedOnly: false);
        if (error != DvsError.Ok)
        {
            return error;
        }
        if (destination == _number)
        {
            return DvsError.Deadlock;
        }
        error = _binding.Resolve(destination, out int index, out bool remote);
        if (error != DvsError.Ok)
        {
            return error;
        }
        awaiting = ReplyHandOff.Await(_self, sequence, destination);
        Message copy = message;
        copy.Source = _number;
        error = _binding.Offer(index, destination, remote, &copy, RingMeta.Pack(SegmentLayout.KindSendRec, sequence), _bindCount, deadline, noWait);
        if (error != DvsError.Ok)
        {
            ReplyHandOff.Withdraw(_self);
        }
        return error;
    }

    /// <summary>Waits for the reply of the request armed as <paramref name="awaiting"/>; on giving up, withdraws unless a reply is being written.</summary>
    /// <param name="destination">The server.</param>
    /// <param name="awaiting">The armed reply word.</param>
    /// <param name="message">Receives the reply.</param>
    /// <param name="deadline">Stopwatch ticks.</param>
    public DvsError WaitReply(int destination, ulong awaiting, ref Message message, long deadline)
    {
        var reply = new ReplyArrived(this, destination);
        DvsError error = Waiter.Wait(ref reply, &_self->WakeSeq, &_self->Sleeping, &_self->WakePending, WaitFor(destination), deadline);
        if (error == DvsError.Ok)
        {
            message = reply.Message;
            return error;
        }
        // Give up, unless a reply is being written: then wait for it. A hand-off can also give the
        // word back (it was not for this binding, see ReplyHandOff): then give up again.
        var spin = new SpinWait();
        while (true)
        {
            if (ReplyHandOff.TryGiveUp(_self, awaiting))
            {
                return error;
            }
            if (ReplyHandOff.HasOutcome(_self))
            {
                // The reply, or a terminal failure, reached us while we were giving up: report it.
                var late = new ReplyArrived(this, destination);
                int outcome = late.Poll();
                message = late.Message;
                return outcome == 1 ? DvsError.Ok : (DvsError)outcome;
            }
            spin.SpinOnce(sleep1Threshold: -1);
        }
    }

    // ---------------------------------------------------------------- wait conditions

    private readonly struct Moved : IWaitCondition
    {
        private readonly EndpointSlot* _slot;
        private readonly int _endpoint;
        private readonly int _owner;
        private readonly uint _epoch;
        private readonly bool _migrating;

        public Moved(EndpointSlot* slot, int endpoint, int owner, uint epoch, bool migrating)
        {
            _slot = slot;
            _endpoint = endpoint;
            _owner = owner;
            _epoch = epoch;
            _migrating = migrating;
        }

        public int Poll()
        {
            uint state = Volatile.Read(ref _slot->State);
            if (state is SegmentLayout.SlotMigrating or SegmentLayout.SlotBinding)
            {
                return 0;   // a move (or a change of hands) under way: wait for its outcome
            }
            bool usable = (state == SegmentLayout.SlotLocal || state == SegmentLayout.SlotRemote) && _slot->Endpoint == _endpoint;
            if (usable && (_slot->OwnerNode != _owner || _slot->Epoch != _epoch))
            {
                return 1;
            }
            // Unbound, or where it was: nothing to replay to, unless the error said it is moving.
            return usable && _migrating ? 0 : (int)DvsError.NotBind;
        }

        public DvsError CheckPeer() => DvsError.Ok;
    }

    private struct ReplyArrived : IWaitCondition
    {
        private readonly EndpointCaller _owner;
        private readonly int _destination;
        public Message Message;

        public ReplyArrived(EndpointCaller owner, int destination)
        {
            _owner = owner;
            _destination = destination;
            Message = default;
        }

        public int Poll()
        {
            int r = ReplyHandOff.TryTake(_owner._self, ref Message, out bool awaited);
            // Cancelled: the caller gives up as on a timeout; a reply being written is still taken.
            return r == 0 && awaited && _owner._binding.Canceled ? (int)DvsError.Canceled : r;
        }

        public DvsError CheckPeer()
        {
            int index = _owner._dc.SlotIndexOf(_destination);
            bool remote = Volatile.Read(ref _owner._dc.Slot(index)->State) == SegmentLayout.SlotRemote;
            DvsError host = _owner._binding.HostError(needsProxy: remote);
            return host != DvsError.Ok ? host : _owner._binding.PeerState(index, _destination, DvsError.DstDied);
        }
    }
}
