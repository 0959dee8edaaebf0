using System.Runtime.InteropServices;

namespace Dvs.Layout;

/// <summary>Mirror of dvs_segment_header_t (native/include/dvs/dvs.h). Offsets checked by a test.</summary>
[StructLayout(LayoutKind.Explicit, Size = 256)]
internal unsafe struct SegmentHeader
{
    [FieldOffset(0)] public ulong Magic;
    [FieldOffset(8)] public uint LayoutVersion;
    [FieldOffset(12)] public uint HeaderSize;
    [FieldOffset(16)] public ulong SegmentSize;
    [FieldOffset(24)] public int NodeId;
    [FieldOffset(28)] public int MaxDcs;
    [FieldOffset(32)] public int HostPid;
    [FieldOffset(36)] public uint RingCapacity;
    [FieldOffset(40)] public ulong Incarnation;
    [FieldOffset(48)] public uint SlotSize;
    [FieldOffset(52)] public uint DcSize;
    [FieldOffset(56)] public uint RingHeaderSize;
    [FieldOffset(60)] public uint State;
    [FieldOffset(64)] public ulong DcsOffset;
    [FieldOffset(72)] public ulong HostStartTime;
    [FieldOffset(80)] public fixed byte NodeName[32];
    [FieldOffset(112)] public fixed byte ClusterName[32];
    [FieldOffset(144)] public uint CellSize;
    [FieldOffset(148)] public uint MessageSize;
    [FieldOffset(152)] public ulong OutboundOffset;
    [FieldOffset(160)] public ulong ProxyOffset;
    [FieldOffset(168)] public ulong NodesOffset;
    [FieldOffset(176)] public ulong CountersOffset;
    [FieldOffset(184)] public uint OutboundCapacity;
    [FieldOffset(188)] public int ProxyPid;
    /// <summary>The Dvs version of the host that made the segment (informational, NUL-terminated).</summary>
    [FieldOffset(192)] public fixed byte BuildInfo[32];
}
