using System.Runtime.InteropServices;

namespace Dvs.Layout;

/// <summary>Mirror of dvs_cell_t: sequence and meta on one line, the message on the next.</summary>
[StructLayout(LayoutKind.Explicit, Size = 128)]
internal struct RingCell
{
    [FieldOffset(0)] public ulong Seq;
    [FieldOffset(8)] public int Meta;
    [FieldOffset(16)] public ulong Aux;
    [FieldOffset(64)] public Message Message;
}
