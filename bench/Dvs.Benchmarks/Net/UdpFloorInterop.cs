using System.Runtime.InteropServices;

namespace Dvs.Benchmarks.Net;

/// <summary>
/// The client half of the UDP floor (native/floor/dvs_udp_floor.h), called in-process: one call
/// runs N round trips and the benchmark declares OperationsPerInvoke = N. No
/// SuppressGCTransition here: the blocking variant sleeps in recv, and a few ns of transition
/// per call of thousands of round trips of tens of µs do not show.
/// </summary>
internal static partial class UdpFloorInterop
{
    private const string Library = "dvsfloor";

    [LibraryImport(Library, EntryPoint = "dvs_udp_floor_open", SetLastError = true)]
    internal static partial int Open(int port, int busyPoll, out int fd);

    [LibraryImport(Library, EntryPoint = "dvs_udp_floor_close", SetLastError = true)]
    internal static partial int Close(int fd);

    [LibraryImport(Library, EntryPoint = "dvs_udp_floor_pingpong", SetLastError = true)]
    internal static partial int PingPong(int fd, long iterations, int busyPoll);
}
