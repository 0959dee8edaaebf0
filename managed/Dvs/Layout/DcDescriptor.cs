using System.Runtime.InteropServices;

namespace Dvs.Layout;

/// <summary>Mirror of dvs_dc_t: one distributed container as this node sees it.</summary>
[StructLayout(LayoutKind.Explicit, Size = 128)]
internal unsafe struct DcDescriptor
{
    [FieldOffset(0)] public int DcId;
    [FieldOffset(4)] public uint State;
    [FieldOffset(8)] public int NrProcs;
    [FieldOffset(12)] public int NrTasks;
    [FieldOffset(16)] public int NrSysProcs;
    [FieldOffset(20)] public int NrSlots;
    [FieldOffset(24)] public ulong Nodes;
    [FieldOffset(32)] public ulong SlotsOffset;
    [FieldOffset(40)] public ulong RingsOffset;
    [FieldOffset(48)] public ulong RingStride;
    [FieldOffset(56)] public ulong NotifyOffset;
    [FieldOffset(64)] public uint NotifyWords;
    [FieldOffset(68)] public uint DirVersion;
    [FieldOffset(72)] public fixed byte Name[32];
}
