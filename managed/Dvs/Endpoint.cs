using System.Runtime.CompilerServices;
using Dvs.Interop;
using Dvs.Ipc;
using Dvs.Layout;

namespace Dvs;

/// <summary>
/// A bound endpoint: the DVS primitives, called by endpoint number. Not thread-safe: one thread
/// at a time per endpoint (as one DVS process per endpoint). The synchronous forms allocate
/// nothing; hot-path failures come back as <see cref="DvsError"/> codes.
/// </summary>
/// <remarks>
/// Privileges follow DVS: slots below nr_sysprocs may use every primitive; user slots only
/// SendRec (and unbind). The message's Source is always stamped with this endpoint.
/// </remarks>
public sealed unsafe partial class Endpoint : IDisposable
{
    private readonly Node _node;
    private readonly DcView _dc;
    private readonly EndpointSlot* _self;
    private readonly SegmentHeader* _header;
    private readonly RingHeader* _ring;
    private readonly int _index;
    private readonly int _pid;
    private readonly bool _privileged;
    private readonly WaitStrategy _wait;
    private readonly DeferredQueue _deferred;
    private readonly int[] _lastRequest;
    private readonly ulong[] _lastRequestIncarnation;
    /// <summary>This binding's incarnation (node incarnation and bind count): requests carry it.</summary>
    private readonly ulong _incarnation;
    private readonly uint _bindCount;
    private int _nextSequence;
    private RequestId _lastSent;
    private int _released;
    private volatile int _interrupt;
    private AsyncPump? _pump;

    internal Endpoint(Node node, in DcView dc, int index, int number, int pid, WaitStrategy wait)
    {
        bool added = false;
        node.Segment.Mapping.DangerousAddRef(ref added);
        _node = node;
        _dc = dc;
        _index = index;
        _self = dc.Slot(index);
        _header = node.Segment.Header;
        _ring = dc.Ring(index);
        _pid = pid;
        _privileged = index < dc.NrSysProcs;
        _wait = wait;
        _deferred = new DeferredQueue((int)dc.RingCapacity * 4, dc.NrSlots, SlotIndexOfSource);
        _lastRequest = new int[dc.NrSlots];
        _lastRequestIncarnation = new ulong[dc.NrSlots];
        _bindCount = _self->BindCount;
        _incarnation = ClientIncarnation.Make(node.Incarnation, _bindCount);
        Number = number;
        DcId = dc.DcId;
    }

    private int SlotIndexOfSource(int source) => _dc.SlotIndexOf(source);

    /// <summary>The endpoint number (generation and slot); it never changes while bound.</summary>
    public int Number { get; }

    /// <summary>The DC the endpoint lives in.</summary>
    public int DcId { get; }

    /// <summary>The slot number (p_nr); negative for tasks.</summary>
    public int ProcNr => _index - _dc.NrTasks;

    /// <summary>True for slots below nr_sysprocs (all primitives allowed).</summary>
    public bool IsPrivileged => _privileged;

    /// <summary>The node this endpoint was bound through.</summary>
    public Node Node => _node;

    /// <summary>
    /// Sends <paramref name="message"/> to <paramref name="destination"/>: queued in its inbound
    /// ring, waiting (per <paramref name="timeout"/>) only while that ring is full.
    /// </summary>
    public DvsError Send(int destination, in Message message, DvsTimeout timeout)
    {
        if (!EnterCall(ref _inCall))
        {
            return DvsError.NotBind;
        }
        try
        {
            return SendCore(destination, in message, timeout);
        }
        finally
        {
            ExitCall(ref _inCall);
        }
    }

    private DvsError SendCore(int destination, in Message message, DvsTimeout timeout)
    {
        DvsError error = message.Type == Message.NotifyType ? DvsError.Invalid : CheckSelf(privilegedOnly: true);
        if (error == DvsError.Ok)
        {
            error = Resolve(destination, out int index, out bool remote);
            if (error == DvsError.Ok)
            {
                Message copy = message;
                copy.Source = Number;
                error = Offer(index, destination, remote, &copy, SegmentLayout.KindSend, _bindCount, Waiter.Deadline(timeout), timeout.IsNoWait);
            }
        }
        return error;
    }

    /// <summary>
    /// Receives the next message from <paramref name="source"/> or from anyone
    /// (<see cref="EndpointNumber.Any"/>). Pending notifications come first, as in DVS.
    /// </summary>
    public DvsError Receive(int source, out Message message, DvsTimeout timeout)
    {
        message = default;
        if (!EnterCall(ref _inCall))
        {
            return DvsError.NotBind;
        }
        try
        {
            return ReceiveCore(source, out message, timeout);
        }
        finally
        {
            ExitCall(ref _inCall);
        }
    }

    private DvsError ReceiveCore(int source, out Message message, DvsTimeout timeout)
    {
        message = default;
        DvsError error = CheckSelf(privilegedOnly: true);
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

    /// <summary>Receives the next request, i.e. a message sent with SendRec (rcvrqst); from any source.</summary>
    public DvsError ReceiveRequest(out Message message, DvsTimeout timeout)
    {
        message = default;
        if (!EnterCall(ref _inCall))
        {
            return DvsError.NotBind;
        }
        try
        {
            return ReceiveRequestCore(out message, timeout);
        }
        finally
        {
            ExitCall(ref _inCall);
        }
    }

    private DvsError ReceiveRequestCore(out Message message, DvsTimeout timeout)
    {
        message = default;
        DvsError error = CheckSelf(privilegedOnly: true);
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

    /// <summary>
    /// Sends a request and waits for its reply, which replaces <paramref name="message"/>. The
    /// timeout covers both. A reply that arrives after a timeout is discarded, never mistaken for
    /// the reply of a later request. A SendRec cannot complete without waiting for its reply:
    /// <see cref="DvsTimeout.NoWait"/> is refused with <see cref="DvsError.BadCall"/> and nothing
    /// is sent (after the checks of the caller and destination, whose errors come first).
    /// </summary>
    public DvsError SendRec(int destination, ref Message message, DvsTimeout timeout)
    {
        if (!EnterCall(ref _inCall))
        {
            return DvsError.NotBind;
        }
        try
        {
            return SendRecCore(destination, ref message, timeout, NewRequest(destination));
        }
        finally
        {
            ExitCall(ref _inCall);
        }
    }

    /// <summary>
    /// The latest request this binding sent with SendRec, SendRecAsync or RetrySendRec, whatever
    /// its outcome; <c>default</c> before the first.
    /// </summary>
    public RequestId LastRequest => _lastSent;

    /// <summary>
    /// Sends request <paramref name="request"/> again (same binding, same sequence) and waits for
    /// its reply, e.g. after its SendRec returned TimedOut or NotConnected: such a request may have
    /// executed, or may still. <paramref name="message"/> should be the request as first sent.
    /// </summary>
    /// <remarks>
    /// Guarantee: a service that keeps an exactly-once table (every service hosted by a node host
    /// or a <see cref="Services.ServiceHost"/>, across migrations) executes the request at most
    /// once over the original and all its retries, and answers a retry of an executed request
    /// with the reply it recorded. The table keeps each client's latest request only: a retry
    /// after a newer request of the same binding is executed as new. A hand-written server
    /// (ReceiveRequest / Reply) receives a retry as another request with the same sequence.
    /// <see cref="DvsError.Invalid"/> when <paramref name="request"/> is not one of this binding's.
    /// </remarks>
    public DvsError RetrySendRec(RequestId request, ref Message message, DvsTimeout timeout)
    {
        if (request.Sequence == 0 || request.Binding != _incarnation)
        {
            return DvsError.Invalid;
        }
        if (!EnterCall(ref _inCall))
        {
            return DvsError.NotBind;
        }
        try
        {
            _lastSent = request;
            return SendRecCore(request.Destination, ref message, timeout, request.Sequence);
        }
        finally
        {
            ExitCall(ref _inCall);
        }
    }

    /// <summary>A new request sequence, remembered as <see cref="LastRequest"/>.</summary>
    private int NewRequest(int destination)
    {
        int sequence = NextSequence();
        _lastSent = new RequestId(destination, sequence, _incarnation);
        return sequence;
    }

    private DvsError SendRecCore(int destination, ref Message message, DvsTimeout timeout, int sequence)
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
        return index >= 0 && Volatile.Read(ref _dc.Slot(index)->State) == SegmentLayout.SlotRemote ? WithoutSpin : _wait;
    }

    /// <summary>This endpoint's strategy without its spin, for what is a node-host hop away (unless told to spin always).</summary>
    private WaitStrategy WithoutSpin => _wait.NeverSleep || _wait.SpinDuration == TimeSpan.Zero ? _wait : RemoteWait;

    private static readonly WaitStrategy RemoteWait = new() { SpinDuration = TimeSpan.Zero, YieldCount = 2 };

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

    /// <summary>
    /// Replies to <paramref name="destination"/>, which must be waiting in SendRec for this
    /// endpoint's reply to its latest request; otherwise <see cref="DvsError.ProcSts"/>. Never blocks.
    /// </summary>
    public DvsError Reply(int destination, in Message message)
    {
        if (!EnterCall(ref _inCall))
        {
            return DvsError.NotBind;
        }
        try
        {
            return ReplyCore(destination, in message);
        }
        finally
        {
            ExitCall(ref _inCall);
        }
    }

    /// <summary>
    /// Ends <paramref name="destination"/>'s SendRec with <paramref name="failure"/> instead of a
    /// reply (a service that cannot answer it, e.g. its state was lost).
    /// </summary>
    internal DvsError ReplyFailure(int destination, DvsError failure)
    {
        if (!EnterCall(ref _inCall))
        {
            return DvsError.NotBind;
        }
        try
        {
            var message = new Message((int)failure);
            return ReplyCore(destination, in message, failed: true);
        }
        finally
        {
            ExitCall(ref _inCall);
        }
    }

    private DvsError ReplyCore(int destination, in Message message, bool failed = false)
    {
        DvsError error = message.Type == Message.NotifyType ? DvsError.Invalid : CheckSelf(privilegedOnly: true);
        if (error != DvsError.Ok)
        {
            return error;
        }
        error = Resolve(destination, out int index, out bool remote);
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
        reply.Source = Number;
        if (remote)
        {
            // The caller's node checks that the same binding still waits for exactly this request;
            // a caller whose node restarted since is gone with it.
            if (!SameNodeIncarnation(index, client))
            {
                _lastRequest[index] = 0;
                return DvsError.ProcSts;
            }
            error = Offer(index, destination, remote: true, &reply, (failed ? SegmentLayout.KindReplyFailed : SegmentLayout.KindReply) | (sequence << 8),
                ClientIncarnation.BindCount(client), long.MaxValue, noWait: false);
            if (error == DvsError.Ok)
            {
                _lastRequest[index] = 0;
            }
            return error;
        }
        if (!ReplyHandOff.TryDeliver(_dc.Slot(index), sequence, Number, ClientIncarnation.BindCount(client), in reply,
                failed ? ReplyWord.Failed : ReplyWord.Done))
        {
            return DvsError.ProcSts;
        }
        _lastRequest[index] = 0;
        _self->Sent++;
        return DvsError.Ok;
    }

    /// <summary>True when the node of remote slot <paramref name="index"/> is the incarnation that sent <paramref name="client"/>'s request.</summary>
    private bool SameNodeIncarnation(int index, ulong client)
    {
        int node = _dc.Slot(index)->OwnerNode;
        return (uint)node < SegmentLayout.MaxNodes &&
               ClientIncarnation.NodePart(client) == (uint)Volatile.Read(ref _dc.Nodes[node].Incarnation);
    }

    /// <summary>
    /// Notifies <paramref name="destination"/>: sets this endpoint's pending bit there and never
    /// blocks. Pending notifications from one source coalesce, as in DVS. The receiver gets a
    /// message of type <see cref="Message.NotifyType"/> whose Source is this endpoint's number.
    /// </summary>
    public DvsError Notify(int destination)
    {
        if (!EnterCall(ref _inCall))
        {
            return DvsError.NotBind;
        }
        try
        {
            return NotifyCore(destination);
        }
        finally
        {
            ExitCall(ref _inCall);
        }
    }

    private DvsError NotifyCore(int destination)
    {
        DvsError error = CheckSelf(privilegedOnly: true);
        if (error != DvsError.Ok)
        {
            return error;
        }
        error = Resolve(destination, out int index, out bool remote);
        if (error != DvsError.Ok)
        {
            return error;
        }
        if (remote)
        {
            Message note = default;
            note.Source = Number;
            return Offer(index, destination, remote: true, &note, SegmentLayout.KindNotify, _bindCount, long.MaxValue, noWait: false);
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

    /// <summary>
    /// Copies <paramref name="bytes"/> bytes from address <paramref name="sourceAddress"/> of the
    /// process owning <paramref name="sourceEndpoint"/> to <paramref name="destinationAddress"/> of
    /// the owner of <paramref name="destinationEndpoint"/> (either may be this endpoint). One
    /// kernel copy, no size limit; addresses are checked by the kernel (<see cref="DvsError.Fault"/>).
    /// </summary>
    public DvsError VCopy(int sourceEndpoint, nint sourceAddress, int destinationEndpoint, nint destinationAddress, long bytes)
    {
        if (!EnterCall(ref _inCall))
        {
            return DvsError.NotBind;
        }
        try
        {
            return VCopyCore(sourceEndpoint, sourceAddress, destinationEndpoint, destinationAddress, bytes);
        }
        finally
        {
            ExitCall(ref _inCall);
        }
    }

    private DvsError VCopyCore(int sourceEndpoint, nint sourceAddress, int destinationEndpoint, nint destinationAddress, long bytes)
    {
        DvsError error = CheckSelf(privilegedOnly: true);
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
            sourceEndpoint = Number;
        }
        if (destinationEndpoint == EndpointNumber.Self)
        {
            destinationEndpoint = Number;
        }
        error = OwnerOf(sourceEndpoint, out int sourcePid, out bool sourceRemote);
        if (error != DvsError.Ok)
        {
            return error;
        }
        error = OwnerOf(destinationEndpoint, out int destinationPid, out bool destinationRemote);
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
        EndpointSlot* source = _dc.Slot(sourceEndpoint == Number ? _index : _dc.SlotIndexOf(sourceEndpoint));
        EndpointSlot* destination = _dc.Slot(destinationEndpoint == Number ? _index : _dc.SlotIndexOf(destinationEndpoint));
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
                ? VCopyCore(sourceEndpoint, sourceAddress, destinationEndpoint, destinationAddress, bytes)
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
    internal Action? DuringLocalCopy { get; set; }

    /// <summary>
    /// A copy with a side on another node: the node of the source streams the bytes to the node of
    /// the destination (in chunks, any size), which writes them and reports completion here.
    /// </summary>
    private DvsError RemoteVCopy(int sourceEndpoint, nint sourceAddress, int destinationEndpoint, nint destinationAddress, long bytes)
    {
        int sequence = NextSequence();
        ulong awaiting = ReplyWord.Make(ReplyWord.Awaiting, sequence, sourceEndpoint);
        Volatile.Write(ref _self->ReplyWord, awaiting);
        var request = new Message(0) { [0] = sourceAddress, [1] = destinationEndpoint, [2] = destinationAddress, [3] = bytes };
        request.Source = Number;
        int rc = Shim.RingOfferAux(_dc.Outbound, _dc.OutboundCapacity, &request, SegmentLayout.KindVCopy | (sequence << 8),
            _dc.Route(sourceEndpoint), _dc.Proxy);
        if (rc != 0)
        {
            Volatile.Write(ref _self->ReplyWord, 0UL);
            return DvsError.Again;
        }
        Message completion = default;
        return WaitReply(sourceEndpoint, awaiting, ref completion, long.MaxValue);
    }

    /// <summary>Unbinds the endpoint; callers waiting on it get DstDied / SrcDied. Idempotent.</summary>
    public DvsError Unbind()
    {
        if (Volatile.Read(ref _released) != 0)
        {
            return DvsError.NotBind;
        }
        DvsError result = SlotReclaimer.Reclaim(_dc, _index, Number, _pid) ? DvsError.Ok : DvsError.NotBind;
        Release();
        return result;
    }

    /// <summary>Unbinds (if still bound) and releases the segment reference.</summary>
    public void Dispose() => Unbind();

    private void Release()
    {
        if (Interlocked.Exchange(ref _released, 1) == 0)
        {
            _pump?.Dispose();
            // Every thread fences once: a call that marked itself before this point is seen below,
            // one that marks itself after it sees _released and backs out (see EnterCall).
            Interlocked.MemoryBarrierProcessWide();
            ReleaseMappingIfIdle();
        }
    }

    // ---------------------------------------------------------------- lifetime
    //
    // A call in progress on one thread keeps the segment mapped while another thread unbinds the
    // endpoint (and disposes its Node): the unbind wakes the call, and the mapping is released
    // when the last call has returned, never under it. Each thread that calls marks itself with
    // plain stores, no fence on the message path; Release, which is rare, fences every thread
    // (membarrier) before it looks at the marks: an asymmetric Dekker.

    private int _inCall;            // the caller's thread is inside a call (written by it only)
    private int _pumpInCall;        // the async pump's thread is (written by it only)
    private int _mappingReleased;

    /// <summary>Marks a call on this thread; false (and nothing touched) once the endpoint is released.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool EnterCall(ref int mark)
    {
        Volatile.Write(ref mark, 1);
        if (Volatile.Read(ref _released) == 0)
        {
            return true;
        }
        ExitCall(ref mark);
        return false;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void ExitCall(ref int mark)
    {
        Volatile.Write(ref mark, 0);
        if (Volatile.Read(ref _released) != 0)
        {
            ReleaseMappingIfIdle();     // a Release found this call in progress and left it to us
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void ReleaseMappingIfIdle()
    {
        if (Volatile.Read(ref _inCall) == 0 && Volatile.Read(ref _pumpInCall) == 0 &&
            Interlocked.Exchange(ref _mappingReleased, 1) == 0)
        {
            _node.Segment.Mapping.DangerousRelease();
        }
    }

    // ---------------------------------------------------------------- internals

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private DvsError CheckSelf(bool privilegedOnly)
    {
        uint state = Volatile.Read(ref _self->State);
        if (_released != 0 || _self->Endpoint != Number ||
            (state != SegmentLayout.SlotLocal && state != SegmentLayout.SlotMigrating) || _self->OwnerPid != _pid)
        {
            return DvsError.NotBind;
        }
        if (Volatile.Read(ref _header->State) != SegmentLayout.SegmentReady)
        {
            return HostError(needsProxy: false);    // the host stopped, or a process found it dead
        }
        return privilegedOnly && !_privileged ? DvsError.CallDenied : DvsError.Ok;
    }

    /// <summary>Finds the slot of a bound destination: local, or remote on a node that is up.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private DvsError Resolve(int destination, out int index, out bool remote)
    {
        remote = false;
        index = _dc.SlotIndexOf(destination);
        if (index < 0)
        {
            return DvsError.BadProc;
        }
        EndpointSlot* slot = _dc.Slot(index);
        uint state = Volatile.Read(ref slot->State);
        if (state == SegmentLayout.SlotLocal && slot->Endpoint == destination)
        {
            return DvsError.Ok;
        }
        return ResolveSlow(state, slot, destination, ref remote);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private DvsError ResolveSlow(uint state, EndpointSlot* slot, int destination, ref bool remote)
    {
        if (state == SegmentLayout.SlotFree || state == SegmentLayout.SlotBinding)
        {
            return DvsError.NotBind;
        }
        if (slot->Endpoint != destination)
        {
            return DvsError.Endpoint;
        }
        if (state == SegmentLayout.SlotRemote)
        {
            if (Volatile.Read(ref _header->ProxyPid) == SegmentLayout.ProxyFailed)
            {
                return DvsError.NoProxy;    // nothing would carry it
            }
            int node = slot->OwnerNode;
            if ((uint)node >= SegmentLayout.MaxNodes || Volatile.Read(ref _dc.Nodes[node].State) != SegmentLayout.NodeUp)
            {
                return DvsError.NotConnected;
            }
            remote = true;
            return DvsError.Ok;
        }
        // Migrating: the owner is paused and its ring holds new messages in arrival order; they
        // move with the endpoint (or are served here again on rollback).
        return state == SegmentLayout.SlotMigrating ? DvsError.Ok : DvsError.ProcSts;
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

    private DvsError OwnerOf(int endpoint, out int pid, out bool remote)
    {
        pid = 0;
        remote = false;
        if (endpoint == Number)
        {
            pid = _pid;
            return DvsError.Ok;
        }
        DvsError error = Resolve(endpoint, out int index, out remote);
        if (error == DvsError.Ok && !remote)
        {
            pid = _dc.Slot(index)->OwnerPid;
        }
        return error;
    }

    /// <summary>
    /// One attempt: into the destination's ring, or the proxy's outbound ring (routed) when it is
    /// remote; 0 when queued. A routed message names a bind count: this endpoint's for what it
    /// sends, the caller's for a reply (its node hands the reply only to that binding).
    /// </summary>
    private int TryOffer(int index, int destination, bool remote, Message* message, int meta, uint routeBindCount) => remote
        ? Shim.RingOfferAux(_dc.Outbound, _dc.OutboundCapacity, message, meta, _dc.Route(destination, routeBindCount), _dc.Proxy)
        : Shim.RingOfferAux(_dc.Ring(index), _dc.RingCapacity, message, meta, _incarnation, _dc.Slot(index));

    private DvsError Offer(int index, int destination, bool remote, Message* message, int meta, uint routeBindCount, long deadline, bool noWait)
    {
        if (TryOffer(index, destination, remote, message, meta, routeBindCount) != 0)
        {
            if (noWait)
            {
                return DvsError.Again;
            }
            RingHeader* ring = remote ? _dc.Outbound : _dc.Ring(index);
            var space = new RingSpace(this, index, destination, remote, message, meta, routeBindCount);
            // The node proxy frees the outbound ring in batches and wakes us when it is half empty:
            // spinning for it only takes the CPU it may need to do so (as for remote replies).
            WaitStrategy wait = remote && !_wait.NeverSleep ? RemoteWait : _wait;
            DvsError error = Waiter.Wait(ref space, &ring->SpaceSeq, &ring->SpaceWaiters, &ring->SpacePending, wait, deadline);
            if (error == DvsError.Migrate && !remote)
            {
                return Offer(index, destination, remote: true, message, meta, routeBindCount, deadline, noWait);
            }
            if (error != DvsError.Ok)
            {
                return error;
            }
        }
        _self->Sent++;
        return DvsError.Ok;
    }

    /// <summary>SendRec with NoWait: the call's own errors, else BadCall; never sends.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private DvsError RefuseNoWait(int destination)
    {
        DvsError error = CheckSelf(privilegedOnly: false);
        if (error == DvsError.Ok)
        {
            error = destination == Number ? DvsError.Deadlock : Resolve(destination, out _, out _);
        }
        return error == DvsError.Ok ? DvsError.BadCall : error;
    }

    private DvsError BeginSendRec(int destination, in Message message, long deadline, bool noWait, int sequence, out ulong awaiting)
    {
        awaiting = 0;
        DvsError error = message.Type == Message.NotifyType ? DvsError.Invalid : CheckSelf(privilegedOnly: false);
        if (error != DvsError.Ok)
        {
            return error;
        }
        if (destination == Number)
        {
            return DvsError.Deadlock;
        }
        error = Resolve(destination, out int index, out bool remote);
        if (error != DvsError.Ok)
        {
            return error;
        }
        awaiting = ReplyWord.Make(ReplyWord.Awaiting, sequence, destination);
        Volatile.Write(ref _self->ReplyWord, awaiting);
        Message copy = message;
        copy.Source = Number;
        error = Offer(index, destination, remote, &copy, SegmentLayout.KindSendRec | (sequence << 8), _bindCount, deadline, noWait);
        if (error != DvsError.Ok)
        {
            Volatile.Write(ref _self->ReplyWord, 0UL);
        }
        return error;
    }

    private DvsError WaitReply(int destination, ulong awaiting, ref Message message, long deadline)
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
            ulong word = Volatile.Read(ref _self->ReplyWord);
            uint state = ReplyWord.State(word);
            if (state == ReplyWord.Idle ||
                (state == ReplyWord.Awaiting && Interlocked.CompareExchange(ref _self->ReplyWord, 0UL, awaiting) == awaiting))
            {
                return error;
            }
            if (state == ReplyWord.Done || state >= ReplyWord.PeerDied)
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

    private DvsError WaitOwn<T>(ref T condition, DvsTimeout timeout) where T : struct, IWaitCondition
    {
        if (timeout.IsNoWait)
        {
            int r = condition.Poll();
            return r > 0 ? DvsError.Ok : r < 0 ? (DvsError)r : DvsError.Again;
        }
        WaitStrategy wait = _recentLocalReplies == 0 ? WithoutSpin : _wait;
        return Waiter.Wait(ref condition, &_self->WakeSeq, &_self->Sleeping, &_self->WakePending, wait, Waiter.Deadline(timeout));
    }

    /// <summary>Whether this node's host (and, if <paramref name="needsProxy"/>, its proxy) still serves; slow: checks only.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private DvsError HostError(bool needsProxy) => Liveness.HostError(_node.Segment, _pid, needsProxy);

    /// <summary>Checks that <paramref name="endpoint"/> still holds its slot with a live owner.</summary>
    private DvsError PeerState(int index, int endpoint, DvsError died)
    {
        EndpointSlot* slot = _dc.Slot(index);
        uint state = Volatile.Read(ref slot->State);
        if (state == SegmentLayout.SlotFree || slot->Endpoint != endpoint)
        {
            return died;
        }
        if (state == SegmentLayout.SlotLocal && !Liveness.OwnerAlive(slot))
        {
            SlotReclaimer.Reclaim(_dc, index, endpoint, slot->OwnerPid);
            return died;
        }
        if (state == SegmentLayout.SlotRemote)
        {
            int node = slot->OwnerNode;
            if ((uint)node >= SegmentLayout.MaxNodes || Volatile.Read(ref _dc.Nodes[node].State) != SegmentLayout.NodeUp)
            {
                return DvsError.NotConnected;
            }
        }
        return DvsError.Ok;
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
               Shim.RingPollAux(_ring, _dc.RingCapacity, &polled, &meta, &incarnation) == 0)
        {
            if (Volatile.Read(ref _ring->ProxyWaiting) != 0)
            {
                WakeProxyForOverflow();
            }
            if ((source == EndpointNumber.Any || polled.Source == source) &&
                (!requestsOnly || (meta & SegmentLayout.KindMask) == SegmentLayout.KindSendRec))
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
            if (Volatile.Read(ref _ring->SpaceWaiters) != 0)
            {
                Doorbell.Wake(&_ring->SpaceSeq);
            }
        }
    }

    /// <summary>
    /// The node proxy holds messages from other nodes for this ring (it was full): once the ring
    /// is down to an eighth, wake the proxy to move them in, instead of leaving it to its 1 ms poll
    /// (measured 2026-11-25: a cross-node sink waited out that poll every 256 messages, 4 µs per
    /// message). Bumping the word also stops a proxy that is about to sleep. An eighth, not half:
    /// each wake-up costs the pipeline a hand-off, and fewer of them moved more (one-way stream,
    /// 256-cell ring: 780-817 ns per message at half, 690-700 at a quarter, 660-680 at an eighth).
    /// </summary>
    internal static uint OverflowWakeLevel(uint capacity) => capacity / 8;

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void WakeProxyForOverflow()
    {
        if (Shim.RingCount(_ring) <= OverflowWakeLevel(_dc.RingCapacity) && Interlocked.Exchange(ref _ring->ProxyWaiting, 0u) != 0)
        {
            EndpointSlot* proxy = _dc.Proxy;
            Interlocked.Increment(ref proxy->WakeSeq);
            Doorbell.Ring(proxy);
        }
    }

    private void Accept(in Message message, int meta, ulong incarnation)
    {
        if ((meta & SegmentLayout.KindMask) == SegmentLayout.KindSendRec)
        {
            int from = _dc.SlotIndexOf(message.Source);
            if (from >= 0)
            {
                _lastRequest[from] = meta >>> 8;
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
        private readonly Endpoint _owner;
        private readonly int _source;
        private readonly int _sourceIndex;
        private readonly bool _requestsOnly;
        public Message Message;

        public Received(Endpoint owner, int source, int sourceIndex, bool requestsOnly)
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
            return taken == 0 && _owner._canceled ? (int)DvsError.Canceled : taken;
        }

        public DvsError CheckPeer()
        {
            DvsError self = _owner.CheckSelf(privilegedOnly: false);
            if (self == DvsError.Ok)
            {
                self = _owner.HostError(needsProxy: false);
            }
            if (self != DvsError.Ok || _sourceIndex < 0)
            {
                return self;
            }
            return _owner.PeerState(_sourceIndex, _source, DvsError.SrcDied);
        }
    }

    private readonly struct RingSpace : IWaitCondition
    {
        private readonly Endpoint _owner;
        private readonly int _index;
        private readonly int _destination;
        private readonly bool _remote;
        private readonly Message* _message;
        private readonly int _meta;
        private readonly uint _routeBindCount;

        public RingSpace(Endpoint owner, int index, int destination, bool remote, Message* message, int meta, uint routeBindCount)
        {
            _routeBindCount = routeBindCount;
            _owner = owner;
            _index = index;
            _destination = destination;
            _remote = remote;
            _message = message;
            _meta = meta;
        }

        public int Poll()
        {
            ref readonly DcView dc = ref _owner._dc;
            EndpointSlot* slot = dc.Slot(_index);
            uint state = Volatile.Read(ref slot->State);
            bool deliverable = _remote ? state == SegmentLayout.SlotRemote
                : state is SegmentLayout.SlotLocal or SegmentLayout.SlotMigrating;
            if (!deliverable || slot->Endpoint != _destination)
            {
                // A one-way Send that waited for room in a migrating endpoint's ring: the endpoint
                // moved (handover) and the Send follows it through the node host, behind the
                // messages the ring held (they were forwarded first). A SendRec replays instead.
                return !_remote && state == SegmentLayout.SlotRemote && slot->Endpoint == _destination &&
                       (_meta & SegmentLayout.KindMask) == SegmentLayout.KindSend
                    ? (int)DvsError.Migrate
                    : (int)DvsError.DstDied;
            }
            if (_owner.TryOffer(_index, _destination, _remote, _message, _meta, _routeBindCount) == 0)
            {
                return 1;
            }
            return _owner._canceled ? (int)DvsError.Canceled : 0;   // not queued: nothing was sent
        }

        public DvsError CheckPeer()
        {
            DvsError host = _owner.HostError(needsProxy: _remote);
            return host != DvsError.Ok ? host : _owner.PeerState(_index, _destination, DvsError.DstDied);
        }
    }

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
        private readonly Endpoint _owner;
        private readonly int _destination;
        public Message Message;

        public ReplyArrived(Endpoint owner, int destination)
        {
            _owner = owner;
            _destination = destination;
            Message = default;
        }

        public int Poll()
        {
            EndpointSlot* self = _owner._self;
            ulong word = Volatile.Read(ref self->ReplyWord);
            uint state = ReplyWord.State(word);
            if (state == ReplyWord.Done)
            {
                Message = self->Reply;
                Volatile.Write(ref self->ReplyWord, 0UL);
                self->Replies++;
                return 1;
            }
            if (state >= ReplyWord.PeerDied)
            {
                int error = state switch
                {
                    ReplyWord.PeerDown => (int)DvsError.NotConnected,
                    ReplyWord.Failed => self->Reply.Type < 0 ? self->Reply.Type : (int)DvsError.Generic,
                    _ => (int)DvsError.DstDied,
                };
                Volatile.Write(ref self->ReplyWord, 0UL);
                return error;
            }
            if (state == ReplyWord.Idle)
            {
                return (int)DvsError.NotBind;   // our slot was reclaimed
            }
            // Cancelled: the caller gives up as on a timeout; a reply being written is still taken.
            return state == ReplyWord.Awaiting && _owner._canceled ? (int)DvsError.Canceled : 0;
        }

        public DvsError CheckPeer()
        {
            int index = _owner._dc.SlotIndexOf(_destination);
            bool remote = Volatile.Read(ref _owner._dc.Slot(index)->State) == SegmentLayout.SlotRemote;
            DvsError host = _owner.HostError(needsProxy: remote);
            return host != DvsError.Ok ? host : _owner.PeerState(index, _destination, DvsError.DstDied);
        }
    }
}
