using System.Runtime.InteropServices;

namespace Dvs.Interop;

/// <summary>
/// The batched UDP calls of libdvsshim (native/include/dvs/dvs_net.h). They return -1 with the
/// shim's per-thread error (<see cref="Shim.ErrCode"/>, <see cref="Shim.LastErrorMessage"/>).
/// Addresses and ports in host byte order. No SuppressGCTransition here: send and receive enter
/// the kernel, and receive may sleep in poll().
/// </summary>
internal static unsafe partial class NativeUdp
{
    private const string Library = "dvsshim";

    [LibraryImport(Library, EntryPoint = "dvs_udp_open")]
    internal static partial int Open(uint bindAddress, ushort port, int receiveBuffer, int sendBuffer,
        out int fd, out ushort boundPort);

    [LibraryImport(Library, EntryPoint = "dvs_udp_close")]
    internal static partial int Close(nint fd);

    [LibraryImport(Library, EntryPoint = "dvs_udp_send_batch")]
    internal static partial int SendBatch(UdpSocketHandle socket, byte* buffer, uint slotSize, int count,
        int* lengths, uint* addresses, ushort* ports);

    [LibraryImport(Library, EntryPoint = "dvs_udp_recv_batch")]
    internal static partial int ReceiveBatch(UdpSocketHandle socket, byte* buffer, uint slotSize, int max,
        int* lengths, uint* addresses, ushort* ports, int timeoutMilliseconds);
}
