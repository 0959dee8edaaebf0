using Dvs.Interop;
using Dvs.Layout;

namespace Dvs.Ipc;

/// <summary>
/// Wakes the owner of a slot if it sleeps. Callers publish with an interlocked operation first
/// (a full barrier on x64 and arm64), which orders their store before this read of Sleeping; the
/// sleeper raises Sleeping before its last check, so one of the two always sees the other.
/// </summary>
internal static unsafe class Doorbell
{
    public static void Ring(EndpointSlot* slot)
    {
        if (Volatile.Read(ref slot->Sleeping) != 0)
        {
            Wake(&slot->WakeSeq);
        }
    }

    public static void Wake(uint* word)
    {
        Interlocked.Increment(ref *word);
        Shim.FutexWake(word, int.MaxValue);
    }
}
