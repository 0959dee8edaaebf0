using Dvs.Layout;

namespace Dvs.Ipc;

/// <summary>
/// Frees a slot whose owner unbound or died, and tells everyone who waits on it: callers awaiting
/// its reply get PEER_DIED in their reply word (DstDied), every sleeper of the DC is woken so
/// receivers waiting on it re-check, and producers asleep on its full ring are woken by the reset.
/// </summary>
internal static unsafe class SlotReclaimer
{
    /// <summary>
    /// Reclaims slot <paramref name="index"/> if it still holds <paramref name="endpoint"/> owned by
    /// <paramref name="pid"/>. Returns false when someone else changed the slot first.
    /// </summary>
    public static bool Reclaim(in DcView dc, int index, int endpoint, int pid)
    {
        EndpointSlot* slot = dc.Slot(index);
        uint state = Volatile.Read(ref slot->State);
        if (state == SegmentLayout.SlotFree || slot->Endpoint != endpoint || slot->OwnerPid != pid)
        {
            return false;
        }
        if (state != SegmentLayout.SlotBinding &&
            Interlocked.CompareExchange(ref slot->State, SegmentLayout.SlotBinding, state) != state)
        {
            return false;
        }
        Clear(dc, index);
        FailWaiters(dc, endpoint);
        Volatile.Write(ref slot->OwnerPid, 0);
        Volatile.Write(ref slot->State, SegmentLayout.SlotFree);
        WakeAll(dc);
        dc.DirectoryChanged();
        return true;
    }

    /// <summary>Empties ring, notify bits and reply state of a slot being (re)bound or freed.</summary>
    public static void Clear(in DcView dc, int index)
    {
        EndpointSlot* slot = dc.Slot(index);
        dc.InboundRing(index).Reset();
        ulong* words = dc.Notify(index);
        for (int w = 0; w < dc.NotifyWords; w++)
        {
            Volatile.Write(ref words[w], 0UL);
        }
        Volatile.Write(ref slot->NotifySummary, 0UL);
        Volatile.Write(ref slot->ReplyWord, 0UL);
        Volatile.Write(ref slot->Hold, 0u);
        // Pending notifications *from* this slot to others stay: DVS keeps them too.
    }

    /// <summary>Fails every caller of the DC awaiting a reply from <paramref name="endpoint"/> (DstDied).</summary>
    public static void FailWaiters(in DcView dc, int endpoint) => FailWaiters(dc, endpoint, ReplyWord.PeerDied);

    /// <summary>Fails every caller awaiting a reply from <paramref name="endpoint"/> with <paramref name="state"/>, and wakes it.</summary>
    public static void FailWaiters(in DcView dc, int endpoint, uint state)
    {
        for (int i = 0; i < dc.NrSlots; i++)
        {
            EndpointSlot* s = dc.Slot(i);
            ulong word = Volatile.Read(ref s->ReplyWord);
            if (ReplyWord.State(word) == ReplyWord.Awaiting && ReplyWord.From(word) == endpoint)
            {
                ReplyHandOff.TryFail(s, word, state);
            }
        }
    }

    /// <summary>Wakes every sleeper of the DC (rare: only on unbind and death).</summary>
    public static void WakeAll(in DcView dc)
    {
        for (int i = 0; i < dc.NrSlots; i++)
        {
            Doorbell.Ring(dc.Slot(i));
        }
    }
}
