using System.Runtime.InteropServices;

namespace Dvs.Interop;

/// <summary>A UDP socket file descriptor opened by dvs_udp_open; closed exactly once, and never
/// while a native call is using it (SafeHandle reference counting).</summary>
internal sealed class UdpSocketHandle : SafeHandle
{
    public UdpSocketHandle()
        : base(invalidHandleValue: -1, ownsHandle: true)
    {
    }

    internal UdpSocketHandle(int fd)
        : base(invalidHandleValue: -1, ownsHandle: true)
    {
        SetHandle(fd);
    }

    public override bool IsInvalid => handle < 0;

    protected override bool ReleaseHandle() => NativeUdp.Close(handle) == 0;
}
