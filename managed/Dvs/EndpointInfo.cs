using Dvs.Ipc;
using Dvs.Layout;

namespace Dvs;

/// <summary>A snapshot of an endpoint slot: state, owner, epoch, queue depth and counters.</summary>
public sealed record EndpointInfo(
    int DcId, int Endpoint, int ProcNr, string State, string Name, int OwnerPid, int OwnerNode, uint Epoch,
    bool Privileged, uint QueueDepth, ulong Sent, ulong Received, ulong Replies)
{
    internal static unsafe EndpointInfo Read(in DcView dc, int index)
    {
        EndpointSlot* slot = dc.Slot(index);
        uint state = Volatile.Read(ref slot->State);
        // Names do not travel between nodes: a remote (or free) slot's name is what an earlier local
        // binding left there, so it is not shown (every node then shows a remote endpoint alike).
        string name = state is SegmentLayout.SlotRemote or SegmentLayout.SlotFree ? "" : NodeSegment.ReadName(slot->Name, 16);
        return new EndpointInfo(dc.DcId, slot->Endpoint, slot->PNr, StateName(state), name,
            slot->OwnerPid, slot->OwnerNode, slot->Epoch, index < dc.NrSysProcs, dc.InboundRing(index).Count,
            slot->Sent, slot->Received, slot->Replies);
    }

    internal static string StateName(uint state) => state switch
    {
        SegmentLayout.SlotFree => "free",
        SegmentLayout.SlotLocal => "local",
        SegmentLayout.SlotRemote => "remote",
        SegmentLayout.SlotMigrating => "migrating",
        SegmentLayout.SlotBackup => "backup",
        SegmentLayout.SlotBinding => "binding",
        _ => $"state{state}",
    };
}
