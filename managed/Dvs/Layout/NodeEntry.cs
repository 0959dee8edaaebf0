using System.Runtime.InteropServices;

namespace Dvs.Layout;

/// <summary>Mirror of dvs_node_entry_t: what this node knows of one peer (written by its proxy).</summary>
[StructLayout(LayoutKind.Explicit, Size = 64)]
internal unsafe struct NodeEntry
{
    [FieldOffset(0)] public uint State;
    [FieldOffset(4)] public int NodeId;
    [FieldOffset(8)] public ulong Incarnation;
    [FieldOffset(16)] public ulong RttNs;
    [FieldOffset(24)] public ulong Retransmissions;
    [FieldOffset(32)] public fixed byte Name[32];
}
