using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Dvs.Benchmarks.Floor;

/// <summary>
/// The client half of the C floor (native/floor/dvs_floor.h), called in-process so the benchmark
/// measures the pure C loop: one call runs N round trips, and the benchmark declares
/// OperationsPerInvoke = N. SuppressGCTransition keeps the managed-to-native transition (a few
/// ns) out of the number; the price, a GC that waits for the call to return, does not matter in
/// a benchmark that allocates nothing.
/// </summary>
internal static partial class FloorInterop
{
    private const string Library = "dvsfloor";

    [LibraryImport(Library, EntryPoint = "dvs_floor_attach", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    internal static partial int Attach(string name, out nint region);

    [LibraryImport(Library, EntryPoint = "dvs_floor_detach", SetLastError = true)]
    internal static partial int Detach(nint region);

    [LibraryImport(Library, EntryPoint = "dvs_floor_pingpong")]
    [SuppressGCTransition]
    internal static partial int PingPong(nint region, long iterations);

    [LibraryImport(Library, EntryPoint = "dvs_floor_spsc_send")]
    [SuppressGCTransition]
    internal static partial int SpscSend(nint region, long messages, int batch);

    [LibraryImport(Library, EntryPoint = "dvs_floor_pin_thread", SetLastError = true)]
    internal static partial int PinThread(int cpu);

    /// <summary>Pins the calling thread to <paramref name="cpu"/>; throws if the kernel refuses.</summary>
    internal static void PinCurrentThread(int cpu)
    {
        if (PinThread(cpu) != 0)
        {
            throw new InvalidOperationException($"cannot pin the thread to cpu {cpu}: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    internal static void ThrowFailed(string call) =>
        throw new InvalidOperationException($"{call} failed (the partner answered with a wrong message or is gone)");
}
