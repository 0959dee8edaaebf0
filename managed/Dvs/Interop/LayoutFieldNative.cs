using System.Runtime.InteropServices;

namespace Dvs.Interop;

/// <summary>Mirror of dvs_layout_field_t (the shim's description of its own layout).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct LayoutFieldNative
{
    public nint TypeName;
    public nint FieldName;
    public uint Offset;
    public uint Size;
}
