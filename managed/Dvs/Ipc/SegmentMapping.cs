using System.Runtime.InteropServices;
using Dvs.Interop;

namespace Dvs.Ipc;

/// <summary>
/// The mapping of a node segment as a SafeHandle: endpoints add a reference while they live, so
/// disposing a Node never unmaps memory that an endpoint is still using.
/// </summary>
internal sealed class SegmentMapping : SafeHandle
{
    public SegmentMapping(nint baseAddress, ulong size) : base(0, ownsHandle: true)
    {
        SetHandle(baseAddress);
        Size = size;
    }

    public ulong Size { get; }

    public override bool IsInvalid => handle == 0;

    protected override bool ReleaseHandle() => Shim.SegmentClose(handle, Size) == 0;
}
