using System.Runtime.InteropServices;

namespace Dvs.Layout;

/// <summary>Mirror of dvs_ring_header_t: producers' tail and the owner's head on separate lines.</summary>
[StructLayout(LayoutKind.Explicit, Size = 192)]
internal struct RingHeader
{
    [FieldOffset(0)] public ulong Tail;
    [FieldOffset(64)] public ulong Head;
    [FieldOffset(128)] public uint SpaceSeq;
    [FieldOffset(132)] public uint SpaceWaiters;
    [FieldOffset(136)] public ulong FullCount;
    [FieldOffset(144)] public uint SpacePending;
    [FieldOffset(148)] public uint ProxyWaiting;
}
