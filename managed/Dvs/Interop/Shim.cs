using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Dvs.Layout;

namespace Dvs.Interop;

/// <summary>
/// Every call into libdvsshim. Hot-path calls (ring offer/poll) use SuppressGCTransition: they
/// never block, never call back and run for tens of nanoseconds, so the GC transition (~10 ns)
/// would be a large share of a 130 ns round trip. Blocking calls (futex wait) must not use it.
/// </summary>
internal static unsafe partial class Shim
{
    private const string Lib = "dvsshim";

    [LibraryImport(Lib, EntryPoint = "dvs_errcode")]
    [SuppressGCTransition]
    internal static partial int ErrCode();

    [LibraryImport(Lib, EntryPoint = "dvs_errmsg")]
    internal static partial nint ErrMsgPtr();

    [LibraryImport(Lib, EntryPoint = "dvs_segment_create", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int SegmentCreate(string name, NodeConfigNative* cfg, out nint baseAddress, out ulong size);

    [LibraryImport(Lib, EntryPoint = "dvs_segment_open", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int SegmentOpen(string name, out nint baseAddress, out ulong size);

    [LibraryImport(Lib, EntryPoint = "dvs_segment_close")]
    internal static partial int SegmentClose(nint baseAddress, ulong size);

    [LibraryImport(Lib, EntryPoint = "dvs_segment_unlink", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int SegmentUnlink(string name);

    [LibraryImport(Lib, EntryPoint = "dvs_ring_offer")]
    [SuppressGCTransition]
    internal static partial int RingOffer(RingHeader* ring, uint capacity, Message* msg, int meta, EndpointSlot* owner);

    [LibraryImport(Lib, EntryPoint = "dvs_ring_offer_aux")]
    [SuppressGCTransition]
    internal static partial int RingOfferAux(RingHeader* ring, uint capacity, Message* msg, int meta, ulong aux, EndpointSlot* owner);

    [LibraryImport(Lib, EntryPoint = "dvs_ring_poll_aux")]
    [SuppressGCTransition]
    internal static partial int RingPollAux(RingHeader* ring, uint capacity, Message* msg, int* meta, ulong* aux);

    [LibraryImport(Lib, EntryPoint = "dvs_ring_poll_many")]
    [SuppressGCTransition]
    internal static partial uint RingPollMany(RingHeader* ring, uint capacity, PolledMessage* output, uint max);

    [LibraryImport(Lib, EntryPoint = "dvs_ring_offer_many")]
    [SuppressGCTransition]
    internal static partial uint RingOfferMany(RingHeader* ring, uint capacity, PolledMessage* input, uint count, EndpointSlot* owner);

    [LibraryImport(Lib, EntryPoint = "dvs_ring_poll")]
    [SuppressGCTransition]
    internal static partial int RingPoll(RingHeader* ring, uint capacity, Message* msg, int* meta);

    [LibraryImport(Lib, EntryPoint = "dvs_ring_reset")]
    internal static partial void RingReset(RingHeader* ring, uint capacity);

    [LibraryImport(Lib, EntryPoint = "dvs_ring_unblock")]
    internal static partial uint RingUnblock(RingHeader* ring, uint capacity, EndpointSlot* owner);

    [LibraryImport(Lib, EntryPoint = "dvs_ring_test_claim")]
    internal static partial int RingTestClaim(RingHeader* ring, uint capacity);

    [LibraryImport(Lib, EntryPoint = "dvs_ring_count")]
    [SuppressGCTransition]
    internal static partial uint RingCount(RingHeader* ring);

    // The three calls below keep their GC transition (they block, or read /proc) and so are
    // reached through NoInlining wrappers. Why: a method that contains an inlined P/Invoke with a
    // GC transition calls the runtime's frame-setup helper (CORINFO_HELP_INIT_PINVOKE_FRAME: a TLS
    // lookup and a frame initialization) in its prolog, on every call, whether or not the
    // P/Invoke runs. Doorbell.Ring inlined into a send path, or FutexWait into Waiter.Wait, put
    // that helper on the hot path of every message (docs/benchmarks/notes-moved-from-code.md).

    /// <summary>futex(FUTEX_WAIT) on a shared word; 0, or -1 with errno (timeout, value changed).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    internal static int FutexWait(uint* word, uint expected, int timeoutMs) => FutexWaitImport(word, expected, timeoutMs);

    /// <summary>futex(FUTEX_WAKE) on a shared word.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    internal static int FutexWake(uint* word, int count) => FutexWakeImport(word, count);

    /// <summary>1 when the process with this pid and start time still runs.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    internal static int PidAlive(int pid, ulong startTime) => PidAliveImport(pid, startTime);

    [LibraryImport(Lib, EntryPoint = "dvs_futex_wait")]
    private static partial int FutexWaitImport(uint* word, uint expected, int timeoutMs);

    [LibraryImport(Lib, EntryPoint = "dvs_futex_wake")]
    private static partial int FutexWakeImport(uint* word, int count);

    [LibraryImport(Lib, EntryPoint = "dvs_pid_alive")]
    private static partial int PidAliveImport(int pid, ulong startTime);

    [LibraryImport(Lib, EntryPoint = "dvs_pid_start_time")]
    internal static partial ulong PidStartTime(int pid);

    [LibraryImport(Lib, EntryPoint = "dvs_getpid")]
    [SuppressGCTransition]
    internal static partial int GetPid();

    [LibraryImport(Lib, EntryPoint = "dvs_vcopy")]
    internal static partial int VCopy(int srcPid, ulong srcAddr, int dstPid, ulong dstAddr, ulong bytes);

    [LibraryImport(Lib, EntryPoint = "dvs_pin_thread")]
    internal static partial int PinThread(int cpu);

    [LibraryImport(Lib, EntryPoint = "dvs_read_regular_file", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int ReadRegularFile(string path, byte* buffer, ulong capacity, out ulong length);

    [LibraryImport(Lib, EntryPoint = "dvs_layout_fields")]
    internal static partial int LayoutFields(LayoutFieldNative** fields);

    /// <summary>The per-thread error of the last failed shim call, as text.</summary>
    internal static string LastErrorMessage() => Marshal.PtrToStringUTF8(ErrMsgPtr()) ?? "";

    /// <summary>Turns a -1 from a constructor-style shim call into an exception (off the hot path).</summary>
    internal static void ThrowIfFailed(int rc, string what)
    {
        if (rc < 0)
        {
            ThrowLastError(what);
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    internal static void ThrowLastError(string what)
    {
        int code = ErrCode();
        string msg = LastErrorMessage();
        throw new DvsException(Enum.IsDefined(typeof(DvsError), code) ? (DvsError)code : DvsError.Generic,
            $"{what}: {msg}");
    }
}
