using System.Runtime.InteropServices;

namespace Dvs.Layout;

/// <summary>Mirror of dvs_cell_t: sequence, meta and claim stamp on one line, the message on the next.</summary>
[StructLayout(LayoutKind.Explicit, Size = 128)]
internal struct RingCell
{
    [FieldOffset(0)] public ulong Seq;
    [FieldOffset(8)] public int Meta;
    [FieldOffset(12)] public int ClaimPid;
    [FieldOffset(16)] public ulong Aux;
    [FieldOffset(24)] public ulong ClaimPos;
    [FieldOffset(32)] public ulong ClaimStart;
    [FieldOffset(64)] public Message Message;
}
