using Dvs.Interop;
using Dvs.Layout;

namespace Dvs.Ipc;

/// <summary>
/// Wakes the owner of a slot if it sleeps. Callers publish with an interlocked operation first
/// (a full barrier on x64 and arm64), which orders their store before this read of Sleeping; the
/// sleeper raises Sleeping before its last check, so one of the two always sees the other.
/// At most one futex wake per sleep: the sleeper clears WakePending before it raises Sleeping,
/// the first waker to set it bumps the word and wakes, later ones return at once (measured
/// 2026-11-25: a sender produced 0.86 futex calls per message into a proxy that was woken but not
/// yet running). Same protocol as dvs_doorbell_ring in native/src/dvs_ring.c.
/// </summary>
internal static unsafe class Doorbell
{
    public static void Ring(EndpointSlot* slot)
    {
        if (Volatile.Read(ref slot->Sleeping) != 0)
        {
            WakeOnce(&slot->WakeSeq, &slot->WakePending);
        }
    }

    /// <summary>Wakes the sleepers of <paramref name="word"/> unless a waker already did since they armed <paramref name="pending"/>.</summary>
    public static void WakeOnce(uint* word, uint* pending)
    {
        if (Volatile.Read(ref *pending) == 0 && Interlocked.Exchange(ref *pending, 1u) == 0)
        {
            Wake(word);
        }
    }

    public static void Wake(uint* word)
    {
        Interlocked.Increment(ref *word);
        Shim.FutexWake(word, int.MaxValue);
    }
}
