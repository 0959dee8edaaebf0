using Dvs.Interop;
using Dvs.Layout;

namespace Dvs.Ipc;

/// <summary>
/// Whether the process that owns a slot still runs (pid plus start time, so a reused pid is not
/// taken for the owner), and whether the node host behind a mapped segment still serves it.
/// </summary>
internal static unsafe class Liveness
{
    public static bool OwnerAlive(EndpointSlot* slot)
    {
        int pid = Volatile.Read(ref slot->OwnerPid);
        return pid > 0 && Shim.PidAlive(pid, slot->OwnerStartTime) == 1;
    }

    /// <summary>
    /// Ok while the segment's host runs (and, for a call that needs it, its proxy); else the error
    /// to return: NoProxy, HostDown or HostRestarted. Slow (reads /proc): for the waits' periodic
    /// checks and the paths that already failed, never per message. A host found dead is recorded
    /// in the segment, so every process of the node fails its next call at once.
    /// </summary>
    public static DvsError HostError(NodeSegment segment, int selfPid, bool needsProxy)
    {
        SegmentHeader* header = segment.Header;
        if (Volatile.Read(ref header->State) == SegmentLayout.SegmentReady)
        {
            int pid = header->HostPid;
            if (pid == selfPid || Shim.PidAlive(pid, header->HostStartTime) == 1)
            {
                return needsProxy && Volatile.Read(ref header->ProxyPid) == SegmentLayout.ProxyFailed ? DvsError.NoProxy : DvsError.Ok;
            }
            if (Interlocked.CompareExchange(ref header->State, SegmentLayout.SegmentHostGone, SegmentLayout.SegmentReady) == SegmentLayout.SegmentReady)
            {
                WakeAll(segment);   // the other waiters of this node look again now, not at their next check
            }
        }
        return Restarted(segment) ? DvsError.HostRestarted : DvsError.HostDown;
    }

    /// <summary>Whether a newer host serves the node under the same name (the mapping we hold is its predecessor's).</summary>
    private static bool Restarted(NodeSegment segment)
    {
        if (Shim.SegmentOpen(segment.Name, out nint baseAddress, out ulong size) != 0)
        {
            return false;
        }
        var current = (SegmentHeader*)baseAddress;
        bool newer = Volatile.Read(ref current->Magic) == SegmentLayout.Magic && current->Incarnation != segment.Header->Incarnation;
        Shim.SegmentClose(baseAddress, size);
        return newer;
    }

    /// <summary>Wakes every sleeper of every DC of the segment (they re-check what they wait for).</summary>
    public static void WakeAll(NodeSegment segment)
    {
        for (int dcid = 0; dcid < SegmentLayout.MaxDcs; dcid++)
        {
            if (segment.TryGetDc(dcid, out DcView dc) == DvsError.Ok)
            {
                SlotReclaimer.WakeAll(dc);
            }
        }
        Doorbell.Wake(&((EndpointSlot*)(segment.Base + segment.Header->ProxyOffset))->WakeSeq);
    }
}
