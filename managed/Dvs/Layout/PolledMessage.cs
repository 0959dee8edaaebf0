using System.Runtime.InteropServices;

namespace Dvs.Layout;

/// <summary>Mirror of dvs_polled_t: one message taken by dvs_ring_poll_many (private memory, not the segment).</summary>
[StructLayout(LayoutKind.Explicit, Size = 80)]
internal struct PolledMessage
{
    [FieldOffset(0)] public Message Message;
    [FieldOffset(64)] public int Meta;
    [FieldOffset(72)] public ulong Aux;
}
