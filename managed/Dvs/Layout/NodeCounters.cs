using System.Runtime.InteropServices;

namespace Dvs.Layout;

/// <summary>Mirror of dvs_counters_t: the node host's counters, indexed by <see cref="Dvs.NodeCounter"/>.</summary>
[StructLayout(LayoutKind.Explicit, Size = 512)]
internal unsafe struct NodeCounters
{
    [FieldOffset(0)] public fixed ulong Values[64];
}
