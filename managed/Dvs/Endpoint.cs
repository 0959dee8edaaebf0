using Dvs.Endpoints;
using Dvs.Ipc;

namespace Dvs;

/// <summary>
/// A bound endpoint: the DVS primitives, called by endpoint number. Not thread-safe: one thread
/// at a time per endpoint (as one DVS process per endpoint). The synchronous forms allocate
/// nothing; hot-path failures come back as <see cref="DvsError"/> codes.
/// </summary>
/// <remarks>
/// Privileges follow DVS: slots below nr_sysprocs may use every primitive; user slots only
/// SendRec (and unbind). The message's Source is always stamped with this endpoint.
/// A facade: the calls go to the caller part (<see cref="EndpointCaller"/>: Send, SendRec,
/// Notify, VCopy) or the receiver part (<see cref="EndpointReceiver"/>: Receive,
/// ReceiveRequest, Reply), both over one <see cref="EndpointBinding"/>; every call is marked in
/// the <see cref="EndpointLifetime"/> so that an unbind on another thread never unmaps under it.
/// </remarks>
public sealed partial class Endpoint : IDisposable
{
    private readonly EndpointBinding _binding;
    private readonly EndpointLifetime _lifetime;
    private readonly EndpointCaller _caller;
    private readonly EndpointReceiver _receiver;
    private AsyncPump? _pump;

    internal Endpoint(Node node, in DcView dc, int index, int number, int pid, WaitStrategy wait)
    {
        _binding = new EndpointBinding(node, dc, index, number, pid, wait);
        _lifetime = _binding.Lifetime;
        _caller = new EndpointCaller(_binding);
        _receiver = new EndpointReceiver(_binding);
        Number = number;
        DcId = dc.DcId;
    }

    /// <summary>The endpoint number (generation and slot); it never changes while bound.</summary>
    public int Number { get; }

    /// <summary>The DC the endpoint lives in.</summary>
    public int DcId { get; }

    /// <summary>The slot number (p_nr); negative for tasks.</summary>
    public int ProcNr => _binding.Index - _binding.Dc.NrTasks;

    /// <summary>True for slots below nr_sysprocs (all primitives allowed).</summary>
    public bool IsPrivileged => _binding.Privileged;

    /// <summary>The node this endpoint was bound through.</summary>
    public Node Node => _binding.Node;

    /// <summary>
    /// Sends <paramref name="message"/> to <paramref name="destination"/>: queued in its inbound
    /// ring, waiting (per <paramref name="timeout"/>) only while that ring is full.
    /// </summary>
    public DvsError Send(int destination, in Message message, DvsTimeout timeout)
    {
        if (!_lifetime.EnterCall())
        {
            return DvsError.NotBind;
        }
        try
        {
            return _caller.Send(destination, in message, timeout);
        }
        finally
        {
            _lifetime.ExitCall();
        }
    }

    /// <summary>
    /// Receives the next message from <paramref name="source"/> or from anyone
    /// (<see cref="EndpointNumber.Any"/>). Pending notifications come first, as in DVS.
    /// </summary>
    public DvsError Receive(int source, out Message message, DvsTimeout timeout)
    {
        message = default;
        if (!_lifetime.EnterCall())
        {
            return DvsError.NotBind;
        }
        try
        {
            return _receiver.Receive(source, out message, timeout);
        }
        finally
        {
            _lifetime.ExitCall();
        }
    }

    /// <summary>Receives the next request, i.e. a message sent with SendRec (rcvrqst); from any source.</summary>
    public DvsError ReceiveRequest(out Message message, DvsTimeout timeout)
    {
        message = default;
        if (!_lifetime.EnterCall())
        {
            return DvsError.NotBind;
        }
        try
        {
            return _receiver.ReceiveRequest(out message, timeout);
        }
        finally
        {
            _lifetime.ExitCall();
        }
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
        if (!_lifetime.EnterCall())
        {
            return DvsError.NotBind;
        }
        try
        {
            return _caller.SendRec(destination, ref message, timeout, _caller.NewRequest(destination));
        }
        finally
        {
            _lifetime.ExitCall();
        }
    }

    /// <summary>
    /// The latest request this binding sent with SendRec, SendRecAsync or RetrySendRec, whatever
    /// its outcome; <c>default</c> before the first.
    /// </summary>
    public RequestId LastRequest => _caller.LastRequest;

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
        if (request.Sequence == 0 || request.Binding != _binding.Incarnation)
        {
            return DvsError.Invalid;
        }
        if (!_lifetime.EnterCall())
        {
            return DvsError.NotBind;
        }
        try
        {
            _caller.LastRequest = request;
            return _caller.SendRec(request.Destination, ref message, timeout, request.Sequence);
        }
        finally
        {
            _lifetime.ExitCall();
        }
    }

    /// <summary>
    /// Replies to <paramref name="destination"/>, which must be waiting in SendRec for this
    /// endpoint's reply to its latest request; otherwise <see cref="DvsError.ProcSts"/>. Never blocks.
    /// </summary>
    public DvsError Reply(int destination, in Message message)
    {
        if (!_lifetime.EnterCall())
        {
            return DvsError.NotBind;
        }
        try
        {
            return _receiver.Reply(destination, in message);
        }
        finally
        {
            _lifetime.ExitCall();
        }
    }

    /// <summary>
    /// Ends <paramref name="destination"/>'s SendRec with <paramref name="failure"/> instead of a
    /// reply (a service that cannot answer it, e.g. its state was lost).
    /// </summary>
    internal DvsError ReplyFailure(int destination, DvsError failure)
    {
        if (!_lifetime.EnterCall())
        {
            return DvsError.NotBind;
        }
        try
        {
            var message = new Message((int)failure);
            return _receiver.Reply(destination, in message, failed: true);
        }
        finally
        {
            _lifetime.ExitCall();
        }
    }

    /// <summary>
    /// Notifies <paramref name="destination"/>: sets this endpoint's pending bit there and never
    /// blocks. Pending notifications from one source coalesce, as in DVS. The receiver gets a
    /// message of type <see cref="Message.NotifyType"/> whose Source is this endpoint's number.
    /// </summary>
    public DvsError Notify(int destination)
    {
        if (!_lifetime.EnterCall())
        {
            return DvsError.NotBind;
        }
        try
        {
            return _caller.Notify(destination);
        }
        finally
        {
            _lifetime.ExitCall();
        }
    }

    /// <summary>
    /// Copies <paramref name="bytes"/> bytes from address <paramref name="sourceAddress"/> of the
    /// process owning <paramref name="sourceEndpoint"/> to <paramref name="destinationAddress"/> of
    /// the owner of <paramref name="destinationEndpoint"/> (either may be this endpoint). One
    /// kernel copy, no size limit; addresses are checked by the kernel (<see cref="DvsError.Fault"/>).
    /// </summary>
    public DvsError VCopy(int sourceEndpoint, nint sourceAddress, int destinationEndpoint, nint destinationAddress, long bytes)
    {
        if (!_lifetime.EnterCall())
        {
            return DvsError.NotBind;
        }
        try
        {
            return _caller.VCopy(sourceEndpoint, sourceAddress, destinationEndpoint, destinationAddress, bytes);
        }
        finally
        {
            _lifetime.ExitCall();
        }
    }

    /// <summary>Tests: runs inside a local <see cref="VCopy"/>, while the copy is announced on both slots.</summary>
    internal Action? DuringLocalCopy
    {
        get => _caller.DuringLocalCopy;
        set => _caller.DuringLocalCopy = value;
    }

    /// <summary>Unbinds the endpoint; callers waiting on it get DstDied / SrcDied. Idempotent.</summary>
    public DvsError Unbind()
    {
        if (_lifetime.IsReleased)
        {
            return DvsError.NotBind;
        }
        DvsError result = SlotReclaimer.Reclaim(_binding.Dc, _binding.Index, Number, _binding.Pid) ? DvsError.Ok : DvsError.NotBind;
        Release();
        return result;
    }

    /// <summary>Unbinds (if still bound) and releases the segment reference.</summary>
    public void Dispose() => Unbind();

    private void Release() => _lifetime.Release(_pump is null ? null : _pump.Dispose);

    /// <summary>
    /// The node proxy holds messages from other nodes for this ring (it was full): once the ring
    /// is down to an eighth, wake the proxy to move them in, instead of leaving it to its 1 ms poll
    /// (a cross-node sink waited out that poll every few hundred messages). Bumping the word also
    /// stops a proxy that is about to sleep. An eighth, not half: each wake-up costs the pipeline a
    /// hand-off, and fewer of them moved more (docs/benchmarks/notes-moved-from-code.md).
    /// </summary>
    internal static uint OverflowWakeLevel(uint capacity) => EndpointReceiver.OverflowWakeLevel(capacity);
}
