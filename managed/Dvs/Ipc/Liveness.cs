using Dvs.Interop;
using Dvs.Layout;

namespace Dvs.Ipc;

/// <summary>Whether the process that owns a slot still runs (pid plus start time, so a reused pid is not taken for the owner).</summary>
internal static unsafe class Liveness
{
    public static bool OwnerAlive(EndpointSlot* slot)
    {
        int pid = Volatile.Read(ref slot->OwnerPid);
        return pid > 0 && Shim.PidAlive(pid, slot->OwnerStartTime) == 1;
    }
}
