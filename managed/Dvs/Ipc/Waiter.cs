using System.Diagnostics;
using System.Runtime.CompilerServices;
using Dvs.Interop;

namespace Dvs.Ipc;

/// <summary>
/// The adaptive wait: spin, yield, then sleep on a futex word in shared memory. The sleeping
/// protocol: read the futex word, clear the pending flag, raise the sleepers count (an
/// interlocked op: full barrier), check the condition once more, then futex-wait on the value
/// read. A waker publishes, then reads the sleepers count, and if non-zero and it is the first to
/// set the pending flag, bumps the word and wakes (see <see cref="Doorbell"/>): no lost wake-up,
/// and one futex wake per sleep however many producers publish meanwhile.
/// </summary>
internal static unsafe class Waiter
{
    public static long Deadline(DvsTimeout timeout) =>
        timeout.IsForever ? long.MaxValue : Stopwatch.GetTimestamp() + timeout.Milliseconds * Stopwatch.Frequency / 1000;

    /// <summary>
    /// Thread.Yield is a runtime call with a GC transition; inlined here it would put the
    /// runtime's frame-setup helper in this method's prolog, paid by every wait, even one that
    /// returns at its first poll (see Shim.FutexWait).
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Yield() => Thread.Yield();

    public static DvsError Wait<T>(ref T condition, uint* futexWord, uint* sleepers, uint* pending, WaitStrategy strategy, long deadline)
        where T : struct, IWaitCondition
    {
        int r = condition.Poll();
        if (r != 0)
        {
            return r > 0 ? DvsError.Ok : (DvsError)r;
        }
        long now = Stopwatch.GetTimestamp();
        long peerCheckTicks = (long)(strategy.SleepSlice.TotalSeconds * Stopwatch.Frequency);
        long nextPeerCheck = now + peerCheckTicks;
        long spinTicks = strategy.SpinTicks;
        long spinEnd = spinTicks == long.MaxValue ? long.MaxValue : now + spinTicks;

        // Spin: a plain loop on a volatile read; the clock is read every 64 rounds only.
        for (int i = 1; ; i++)
        {
            r = condition.Poll();
            if (r != 0)
            {
                return r > 0 ? DvsError.Ok : (DvsError)r;
            }
            if ((i & 63) == 0)
            {
                now = Stopwatch.GetTimestamp();
                if (now >= deadline)
                {
                    return DvsError.TimedOut;
                }
                if (now >= nextPeerCheck)
                {
                    DvsError peer = condition.CheckPeer();
                    if (peer != DvsError.Ok)
                    {
                        return peer;
                    }
                    nextPeerCheck = now + peerCheckTicks;
                }
                if (now >= spinEnd)
                {
                    break;
                }
            }
        }

        for (int y = 0; y < strategy.YieldCount; y++)
        {
            Yield();
            r = condition.Poll();
            if (r != 0)
            {
                return r > 0 ? DvsError.Ok : (DvsError)r;
            }
        }

        int sliceMs = Math.Max(1, (int)strategy.SleepSlice.TotalMilliseconds);
        while (true)
        {
            uint observed = Volatile.Read(ref *futexWord);
            Volatile.Write(ref *pending, 0u);
            Interlocked.Increment(ref *sleepers);
            r = condition.Poll();
            if (r == 0)
            {
                int ms = sliceMs;
                if (deadline != long.MaxValue)
                {
                    long left = deadline - Stopwatch.GetTimestamp();
                    ms = left <= 0 ? 0 : (int)Math.Min(sliceMs, (left * 1000 + Stopwatch.Frequency - 1) / Stopwatch.Frequency);
                }
                if (ms > 0)
                {
                    Shim.FutexWait(futexWord, observed, ms);
                }
                r = condition.Poll();
            }
            Interlocked.Decrement(ref *sleepers);
            if (r != 0)
            {
                return r > 0 ? DvsError.Ok : (DvsError)r;
            }
            DvsError peer = condition.CheckPeer();
            if (peer != DvsError.Ok)
            {
                return peer;
            }
            if (Stopwatch.GetTimestamp() >= deadline)
            {
                return DvsError.TimedOut;
            }
        }
    }
}
