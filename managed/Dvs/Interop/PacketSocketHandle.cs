using System.Runtime.InteropServices;

namespace Dvs.Interop;

/// <summary>An AF_PACKET socket file descriptor opened by dvs_packet_open; closed exactly once, and
/// never while a native call is using it (SafeHandle reference counting).</summary>
internal sealed class PacketSocketHandle : SafeHandle
{
    public PacketSocketHandle()
        : base(invalidHandleValue: -1, ownsHandle: true)
    {
    }

    internal PacketSocketHandle(int fd)
        : base(invalidHandleValue: -1, ownsHandle: true)
    {
        SetHandle(fd);
    }

    public override bool IsInvalid => handle < 0;

    protected override bool ReleaseHandle() => NativePacket.Close(handle) == 0;
}
