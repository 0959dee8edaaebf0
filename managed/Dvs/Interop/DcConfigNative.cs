using System.Runtime.InteropServices;

namespace Dvs.Interop;

/// <summary>Mirror of dvs_dc_config_t.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct DcConfigNative
{
    public int DcId;
    public int NrProcs;
    public int NrTasks;
    public int NrSysProcs;
    public ulong Nodes;
    public fixed byte Name[32];
}
