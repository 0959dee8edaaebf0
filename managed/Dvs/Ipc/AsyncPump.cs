using System.Threading.Tasks.Sources;

namespace Dvs.Ipc;

/// <summary>
/// The waiting half of an endpoint's ValueTask calls. A call that can complete at once never
/// gets here; one that must wait is handed to this endpoint's own thread (created on first use),
/// which blocks in the ordinary adaptive wait and completes a reusable IValueTaskSource: awaiting
/// allocates nothing. Continuations run on that thread unless the awaiter captured a context.
/// One operation at a time, like the endpoint itself. A cancellable token is registered for the
/// operation's wait only (no registration, no allocation, for one that cannot be cancelled).
/// </summary>
internal sealed class AsyncPump : IValueTaskSource<DvsResult>, IDisposable
{
    private readonly Func<AsyncOperation, DvsResult> _run;
    private readonly Action<bool> _cancel;
    private readonly Thread _thread;
    private readonly SemaphoreSlim _work = new(0);
    private ManualResetValueTaskSourceCore<DvsResult> _core;
    private AsyncOperation _operation;
    private int _busy;
    private volatile bool _stopping;

    /// <param name="run">Runs an operation to its end (blocking) on the pump thread.</param>
    /// <param name="cancel">Called with true from a token's callback (end the wait), then with false
    /// on the pump once the operation is over and no callback can run any more (forget it).</param>
    /// <param name="name">The pump thread's name.</param>
    public AsyncPump(Func<AsyncOperation, DvsResult> run, Action<bool> cancel, string name)
    {
        _run = run;
        _cancel = cancel;
        _core.RunContinuationsAsynchronously = false;
        _thread = new Thread(Loop) { IsBackground = true, Name = name };
        _thread.Start();
    }

    public ValueTask<DvsResult> Start(in AsyncOperation operation)
    {
        if (Interlocked.Exchange(ref _busy, 1) != 0)
        {
            throw new InvalidOperationException("an asynchronous call is already in progress on this endpoint");
        }
        _core.Reset();
        _operation = operation;
        _work.Release();
        return new ValueTask<DvsResult>(this, _core.Version);
    }

    private void Loop()
    {
        while (true)
        {
            _work.Wait();
            if (_stopping)
            {
                return;
            }
            DvsResult result;
            CancellationToken token = _operation.Cancel;
            CancellationTokenRegistration registration = token.CanBeCanceled
                ? token.UnsafeRegister(static pump => ((AsyncPump)pump!)._cancel(true), this)
                : default;
            try
            {
                result = _run(_operation);
            }
            catch (Exception e)
            {
                EndCancellation(token, registration);
                Volatile.Write(ref _busy, 0);
                _core.SetException(e);
                continue;
            }
            EndCancellation(token, registration);
            Volatile.Write(ref _busy, 0);
            _core.SetResult(result);
        }
    }

    /// <summary>Waits out a callback that may be running, then clears what it set: the next operation starts clean.</summary>
    private void EndCancellation(CancellationToken token, CancellationTokenRegistration registration)
    {
        // A token cancelled before the registration ran the callback at once (and left no registration).
        if (token.CanBeCanceled)
        {
            registration.Dispose();
            _cancel(false);
        }
    }

    /// <summary>The error of a result task (an allocation only on this rare path: a full ring).</summary>
    public static async ValueTask<DvsError> ErrorOnly(ValueTask<DvsResult> task) => (await task.ConfigureAwait(false)).Error;

    public DvsResult GetResult(short token) => _core.GetResult(token);

    public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);

    public void Dispose()
    {
        _stopping = true;
        _work.Release();
        if (Thread.CurrentThread != _thread)
        {
            _thread.Join();
        }
    }
}
