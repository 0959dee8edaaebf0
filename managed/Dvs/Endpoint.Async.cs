using System.Diagnostics;
using Dvs.Ipc;
using Dvs.Layout;

namespace Dvs;

public sealed unsafe partial class Endpoint
{
    /// <summary>
    /// Asynchronous <see cref="Send(int, in Message, DvsTimeout)"/>: completes synchronously when the
    /// destination ring has room; otherwise waits on this endpoint's pump thread. One async call at a time.
    /// </summary>
    public ValueTask<DvsError> SendAsync(int destination, Message message, DvsTimeout timeout) =>
        SendAsync(destination, message, timeout, CancellationToken.None);

    /// <summary>
    /// <see cref="SendAsync(int, Message, DvsTimeout)"/> that <paramref name="cancellationToken"/> can end
    /// with <see cref="DvsError.Canceled"/> while it waits for ring space: then the message was not sent.
    /// </summary>
    public ValueTask<DvsError> SendAsync(int destination, Message message, DvsTimeout timeout, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return new ValueTask<DvsError>(DvsError.Canceled);
        }
        DvsError error = Send(destination, in message, DvsTimeout.NoWait);
        if (error != DvsError.Again || timeout.IsNoWait)
        {
            return new ValueTask<DvsError>(error);
        }
        return AsyncPump.ErrorOnly(Pump.Start(new AsyncOperation(AsyncOperationKind.Send, destination, message, Waiter.Deadline(timeout), 0, cancellationToken)));
    }

    /// <summary>Asynchronous <see cref="Receive"/>.</summary>
    public ValueTask<DvsResult> ReceiveAsync(int source, DvsTimeout timeout) => ReceiveAsync(source, timeout, CancellationToken.None);

    /// <summary>Asynchronous <see cref="Receive"/> that <paramref name="cancellationToken"/> can end with <see cref="DvsError.Canceled"/> (nothing taken).</summary>
    public ValueTask<DvsResult> ReceiveAsync(int source, DvsTimeout timeout, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return new ValueTask<DvsResult>(new DvsResult(DvsError.Canceled, default));
        }
        DvsError error = Receive(source, out Message message, DvsTimeout.NoWait);
        if (error != DvsError.Again || timeout.IsNoWait)
        {
            return new ValueTask<DvsResult>(new DvsResult(error, message));
        }
        return Pump.Start(new AsyncOperation(AsyncOperationKind.Receive, source, default, Waiter.Deadline(timeout), 0, cancellationToken));
    }

    /// <summary>Asynchronous <see cref="ReceiveRequest"/>.</summary>
    public ValueTask<DvsResult> ReceiveRequestAsync(DvsTimeout timeout) => ReceiveRequestAsync(timeout, CancellationToken.None);

    /// <summary>Asynchronous <see cref="ReceiveRequest"/> that <paramref name="cancellationToken"/> can end with <see cref="DvsError.Canceled"/> (nothing taken).</summary>
    public ValueTask<DvsResult> ReceiveRequestAsync(DvsTimeout timeout, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return new ValueTask<DvsResult>(new DvsResult(DvsError.Canceled, default));
        }
        DvsError error = ReceiveRequest(out Message message, DvsTimeout.NoWait);
        if (error != DvsError.Again || timeout.IsNoWait)
        {
            return new ValueTask<DvsResult>(new DvsResult(error, message));
        }
        return Pump.Start(new AsyncOperation(AsyncOperationKind.ReceiveRequest, EndpointNumber.Any, default, Waiter.Deadline(timeout), 0, cancellationToken));
    }

    /// <summary>
    /// Asynchronous <see cref="SendRec"/>: the request is queued at once (waiting on the pump only if
    /// the destination ring is full); the reply is awaited on the pump thread unless it is already there.
    /// NoWait is refused with <see cref="DvsError.BadCall"/>, nothing sent, as by <see cref="SendRec"/>.
    /// </summary>
    public ValueTask<DvsResult> SendRecAsync(int destination, Message message, DvsTimeout timeout) =>
        SendRecAsync(destination, message, timeout, CancellationToken.None);

    /// <summary>
    /// <see cref="SendRecAsync(int, Message, DvsTimeout)"/> that <paramref name="cancellationToken"/> can end
    /// with <see cref="DvsError.Canceled"/>: before the request is queued, nothing is sent; after, the
    /// request stays delivered (the server may execute it) and its reply, when it comes, is
    /// discarded like the reply of a timed-out call, never taken for a later call's.
    /// </summary>
    public ValueTask<DvsResult> SendRecAsync(int destination, Message message, DvsTimeout timeout, CancellationToken cancellationToken)
    {
        if (!_lifetime.EnterCall())
        {
            return new ValueTask<DvsResult>(new DvsResult(DvsError.NotBind, default));
        }
        try
        {
            return SendRecAsyncCore(destination, message, timeout, cancellationToken, sequence: 0);
        }
        finally
        {
            _lifetime.ExitCall();
        }
    }

    /// <summary>
    /// Asynchronous <see cref="RetrySendRec"/>: sends request <paramref name="request"/> again (same
    /// binding, same sequence) and awaits its reply, with the guarantee and the limits said there.
    /// </summary>
    public ValueTask<DvsResult> RetrySendRecAsync(RequestId request, Message message, DvsTimeout timeout,
        CancellationToken cancellationToken = default)
    {
        if (request.Sequence == 0 || request.Binding != _binding.Incarnation)
        {
            return new ValueTask<DvsResult>(new DvsResult(DvsError.Invalid, default));
        }
        if (!_lifetime.EnterCall())
        {
            return new ValueTask<DvsResult>(new DvsResult(DvsError.NotBind, default));
        }
        try
        {
            _caller.LastRequest = request;
            return SendRecAsyncCore(request.Destination, message, timeout, cancellationToken, request.Sequence);
        }
        finally
        {
            _lifetime.ExitCall();
        }
    }

    // sequence: the request's sequence (a retry); 0 for a new request.
    private ValueTask<DvsResult> SendRecAsyncCore(int destination, Message message, DvsTimeout timeout, CancellationToken cancellationToken, int sequence)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return new ValueTask<DvsResult>(new DvsResult(DvsError.Canceled, default));
        }
        if (timeout.IsNoWait)
        {
            return new ValueTask<DvsResult>(new DvsResult(_caller.RefuseNoWait(destination), default));
        }
        long deadline = Waiter.Deadline(timeout);
        if (sequence == 0)
        {
            sequence = _caller.NewRequest(destination);
        }
        DvsError error = _caller.BeginSendRec(destination, in message, deadline, noWait: true, sequence, out ulong awaiting);
        if (error == DvsError.Again && !timeout.IsNoWait)
        {
            // Ring full: do the whole call on the pump, as the same request.
            return Pump.Start(new AsyncOperation(AsyncOperationKind.WaitReply, destination, message, deadline, 0, cancellationToken, sequence));
        }
        if (error != DvsError.Ok)
        {
            return new ValueTask<DvsResult>(new DvsResult(error, default));
        }
        int r = _caller.PollReply(destination, out Message replied);
        if (r != 0)
        {
            return new ValueTask<DvsResult>(new DvsResult(r > 0 ? DvsError.Ok : (DvsError)r, replied));
        }
        return Pump.Start(new AsyncOperation(AsyncOperationKind.WaitReply, destination, default, deadline, awaiting, cancellationToken));
    }

    private AsyncPump Pump => _pump ??= new AsyncPump(RunAsyncOperation, CancelWait, $"dvs-ep{Number}");

    /// <summary>From the token's callback: mark, then wake the words the pump may sleep on (its slot, the rings it may wait to fill).</summary>
    private void CancelWait(bool cancel)
    {
        _binding.Canceled = cancel;   // the only writer (see EndpointBinding.Canceled)
        if (!cancel)
        {
            return;
        }
        Interlocked.MemoryBarrier();
        Doorbell.Wake(&_binding.Self->WakeSeq);
        ref readonly DcView dc = ref _binding.Dc;
        dc.Outbound.WakeSpaceWaitersAlways();
        for (int i = 0; i < dc.NrSlots; i++)
        {
            // Which ring a Send waits on is the pump's business: wake the ones with sleepers (rare path).
            dc.InboundRing(i).WakeSpaceWaiters();
        }
    }

    /// <summary>The pump thread's side of an async call (marked as its own call: see EndpointLifetime).</summary>
    private DvsResult RunAsyncOperation(AsyncOperation operation)
    {
        if (!_lifetime.EnterPumpCall())
        {
            return new DvsResult(DvsError.NotBind, default);
        }
        try
        {
            return RunAsyncOperationCore(operation);
        }
        finally
        {
            _lifetime.ExitPumpCall();
        }
    }

    private DvsResult RunAsyncOperationCore(AsyncOperation operation)
    {
        DvsTimeout remaining = Remaining(operation.Deadline);
        Message message = operation.Message;
        switch (operation.Kind)
        {
            case AsyncOperationKind.Send:
                return new DvsResult(_caller.Send(operation.Peer, in message, remaining), default);
            case AsyncOperationKind.Receive:
                return new DvsResult(_receiver.Receive(operation.Peer, out message, remaining), message);
            case AsyncOperationKind.ReceiveRequest:
                return new DvsResult(_receiver.ReceiveRequest(out message, remaining), message);
            default:
                if (operation.Awaiting == 0)
                {
                    DvsError whole = _caller.SendRec(operation.Peer, ref message, remaining, operation.Sequence);
                    return new DvsResult(whole, whole == DvsError.Ok ? message : default);
                }
                DvsError error = _caller.WaitReply(operation.Peer, operation.Awaiting, ref message, operation.Deadline);
                return new DvsResult(error, error == DvsError.Ok ? message : default);
        }
    }

    private static DvsTimeout Remaining(long deadline)
    {
        if (deadline == long.MaxValue)
        {
            return DvsTimeout.Forever;
        }
        // Rounded up: the pump's wait must not end before the caller's deadline (truncating
        // returned TimedOut up to a millisecond early).
        long left = deadline - Stopwatch.GetTimestamp();
        return left <= 0 ? DvsTimeout.FromMilliseconds(1)
            : DvsTimeout.FromMilliseconds((int)Math.Min(int.MaxValue, Math.Max(1, (left * 1000 + Stopwatch.Frequency - 1) / Stopwatch.Frequency)));
    }
}
