using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Dvs.Hosting;

/// <summary>
/// Runs, one after another, work the node proxy's threads must not do themselves because it may
/// take long or wait on user code (a service's restore, its stop and join): the receiver and
/// sender loops queue it here and go on. Its thread starts when work comes and ends after a few
/// idle seconds (a thread start costs ~0.5 ms; an idle thread costs a stack): not the thread pool,
/// which an application blocking its pool threads (sync over async) can starve for seconds.
/// Stepped (the node-host harness), it starts no thread: the work waits until <see cref="RunPending"/>.
/// </summary>
/// <param name="name">The thread's name, in log lines too.</param>
/// <param name="log">Where failed work is logged.</param>
/// <param name="stepped">Run the work only in <see cref="RunPending"/>, on the caller's thread.</param>
internal sealed class ProxyWorker(string name, ILogger log, bool stepped = false)
{
    private static readonly TimeSpan Idle = TimeSpan.FromSeconds(5);

    private readonly ConcurrentQueue<Action> _work = new();
    private readonly SemaphoreSlim _signal = new(0);
    private int _running;

    /// <summary>Queues <paramref name="work"/> (any thread; never blocks).</summary>
    /// <param name="work">Runs on the worker's thread; an exception it throws is logged.</param>
    public void Queue(Action work)
    {
        _work.Enqueue(work);
        if (stepped)
        {
            return;
        }
        _signal.Release();
        if (Interlocked.CompareExchange(ref _running, 1, 0) == 0)
        {
            new Thread(Run) { IsBackground = true, Name = name }.Start();
        }
    }

    /// <summary>Stepped: runs the work queued so far on the caller's thread; returns how much ran.</summary>
    public int RunPending()
    {
        int ran = 0;
        for (int count = _work.Count; ran < count && _work.TryDequeue(out Action? work); ran++)
        {
            RunOne(work);
        }
        return ran;
    }

    private void RunOne(Action work)
    {
        try
        {
            work();
        }
        catch (Exception e)
        {
            log.LogError(e, "{Worker}: queued work failed", name);
        }
    }

    private void Run()
    {
        while (true)
        {
            while (_signal.Wait(Idle))
            {
                while (_work.TryDequeue(out Action? work))
                {
                    RunOne(work);
                }
            }
            Interlocked.Exchange(ref _running, 0);   // a full fence before the emptiness check
            // Work queued after the queue looked empty but before the flag dropped: take it on.
            if (_work.IsEmpty || Interlocked.CompareExchange(ref _running, 1, 0) != 0)
            {
                return;
            }
        }
    }
}
