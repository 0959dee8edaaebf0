using System.Runtime.InteropServices;

namespace Dvs.Interop;

/// <summary>
/// The batched raw Ethernet (AF_PACKET) calls of libdvsshim (native/include/dvs/dvs_net.h). They
/// return -1 with the shim's per-thread error (<see cref="Shim.ErrCode"/>, <see cref="Shim.LastErrorMessage"/>).
/// MAC addresses as ulong, the six bytes in the low 48 bits, first byte most significant. No
/// SuppressGCTransition: send and receive enter the kernel, and receive may sleep in poll().
/// </summary>
internal static unsafe partial class NativePacket
{
    private const string Library = "dvsshim";

    [LibraryImport(Library, EntryPoint = "dvs_packet_open", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int Open(string interfaceName, ushort etherType, int receiveBuffer, int sendBuffer,
        out int fd, out int interfaceIndex, out int mtu, out ulong mac);

    [LibraryImport(Library, EntryPoint = "dvs_packet_close")]
    internal static partial int Close(nint fd);

    [LibraryImport(Library, EntryPoint = "dvs_packet_send_batch")]
    internal static partial int SendBatch(PacketSocketHandle socket, int interfaceIndex, ushort etherType, byte* buffer,
        uint slotSize, int count, int* lengths, ulong* macs);

    [LibraryImport(Library, EntryPoint = "dvs_packet_recv_batch")]
    internal static partial int ReceiveBatch(PacketSocketHandle socket, byte* buffer, uint slotSize, int max,
        int* lengths, ulong* macs, int timeoutMilliseconds);
}
