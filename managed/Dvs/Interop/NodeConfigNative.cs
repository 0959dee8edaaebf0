using System.Runtime.InteropServices;

namespace Dvs.Interop;

/// <summary>Mirror of dvs_node_config_t: the arguments of dvs_segment_create.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct NodeConfigNative
{
    public int NodeId;
    public uint RingCapacity;
    public int DcCount;
    public int Reserved;
    public DcConfigNative* Dcs;
    public fixed byte NodeName[32];
    public fixed byte ClusterName[32];
    /// <summary>The segment's incarnation; 0: the shim takes the wall clock.</summary>
    public ulong Incarnation;
}
