using System.Runtime.CompilerServices;
using Dvs.Interop;
using Dvs.Layout;

namespace Dvs.Ipc;

/// <summary>
/// Wakes the owner of a slot if it sleeps; the same protocol as dvs_doorbell_ring in
/// native/src/dvs_ring.c. <see cref="Ring"/> fences before it reads Sleeping, so whatever the
/// caller stored before (plain stores included) is visible to a sleeper that raised Sleeping and
/// checks once more: one of the two always sees the other, whichever way the caller published.
/// At most one futex wake per sleep: the sleeper clears WakePending before it raises Sleeping,
/// the first waker to set it bumps the word and wakes, later ones return at once (a proxy woken
/// but not yet running got a futex call for most messages otherwise; docs/benchmarks).
/// </summary>
internal static unsafe class Doorbell
{
    /// <summary>Publishes everything stored before (a full fence), then wakes the slot's owner if it sleeps.</summary>
    /// <param name="slot">The slot whose owner is woken.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Ring(EndpointSlot* slot)
    {
        // The store-load fence of a Dekker hand-off: without it the read of Sleeping may pass the
        // caller's stores (x64 and arm64 both allow it) and a sleeper that missed them is missed
        // too (DoorbellTests). Right after an interlocked publication it costs next to nothing.
        Interlocked.MemoryBarrier();
        if (Volatile.Read(ref slot->Sleeping) != 0)
        {
            WakeOnce(&slot->WakeSeq, &slot->WakePending);
        }
    }

    /// <summary>Wakes the sleepers of <paramref name="word"/> unless a waker already did since they armed <paramref name="pending"/>.</summary>
    /// <param name="word">The futex word the sleepers wait on.</param>
    /// <param name="pending">The flag the sleepers clear before they sleep.</param>
    public static void WakeOnce(uint* word, uint* pending)
    {
        if (Volatile.Read(ref *pending) == 0 && Interlocked.Exchange(ref *pending, 1u) == 0)
        {
            Wake(word);
        }
    }

    /// <summary>
    /// Bumps <paramref name="word"/> and wakes whoever sleeps on it, unconditionally. The bump is
    /// interlocked (a full fence): what the caller stored before is visible to a waiter that sees
    /// the new value, and a waiter about to sleep on the old value returns at once.
    /// </summary>
    /// <param name="word">The futex word.</param>
    public static void Wake(uint* word)
    {
        Interlocked.Increment(ref *word);
        Shim.FutexWake(word, int.MaxValue);
    }
}
