using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Dvs.Endpoints;

/// <summary>
/// Keeps the segment mapped while a call of the endpoint is in progress on one thread and another
/// thread unbinds it (and disposes its Node): the unbind wakes the call, and the mapping is
/// released when the last call has returned, never under it. Each thread that calls marks itself
/// with plain stores, no fence on the message path; <see cref="Release"/>, which is rare, fences
/// every thread (membarrier) before it looks at the marks: an asymmetric Dekker.
/// </summary>
internal sealed class EndpointLifetime
{
    private readonly SafeHandle _mapping;
    private int _released;
    private int _callerInCall;      // the caller's thread is inside a call (written by it only)
    private int _pumpInCall;        // the async pump's thread is (written by it only)
    private int _mappingReleased;

    /// <summary>Takes a reference on <paramref name="mapping"/>, given back once released and idle.</summary>
    /// <param name="mapping">The segment's mapping.</param>
    public EndpointLifetime(SafeHandle mapping)
    {
        bool added = false;
        mapping.DangerousAddRef(ref added);
        _mapping = mapping;
    }

    /// <summary>True once the endpoint was released (unbound, disposed or abandoned).</summary>
    public bool IsReleased
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Volatile.Read(ref _released) != 0;
    }

    /// <summary>Marks a call on the caller's thread; false (and nothing touched) once released.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool EnterCall() => Enter(ref _callerInCall);

    /// <summary>Ends the mark of <see cref="EnterCall"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void ExitCall() => Exit(ref _callerInCall);

    /// <summary>Marks a call on the async pump's thread; false once released.</summary>
    public bool EnterPumpCall() => Enter(ref _pumpInCall);

    /// <summary>Ends the mark of <see cref="EnterPumpCall"/>.</summary>
    public void ExitPumpCall() => Exit(ref _pumpInCall);

    /// <summary>
    /// Releases once: runs <paramref name="beforeFence"/> (stops the pump), fences every thread, and
    /// gives the mapping back unless a call is in progress (then its exit does). False when already released.
    /// </summary>
    /// <param name="beforeFence">What ends with the endpoint, before its calls are looked at.</param>
    public bool Release(Action? beforeFence)
    {
        if (Interlocked.Exchange(ref _released, 1) != 0)
        {
            return false;
        }
        beforeFence?.Invoke();
        // Every thread fences once: a call that marked itself before this point is seen below,
        // one that marks itself after it sees _released and backs out (see Enter).
        Interlocked.MemoryBarrierProcessWide();
        ReleaseMappingIfIdle();
        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool Enter(ref int mark)
    {
        Volatile.Write(ref mark, 1);
        if (Volatile.Read(ref _released) == 0)
        {
            return true;
        }
        Exit(ref mark);
        return false;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Exit(ref int mark)
    {
        Volatile.Write(ref mark, 0);
        if (Volatile.Read(ref _released) != 0)
        {
            ReleaseMappingIfIdle();     // a Release found this call in progress and left it to us
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void ReleaseMappingIfIdle()
    {
        if (Volatile.Read(ref _callerInCall) == 0 && Volatile.Read(ref _pumpInCall) == 0 &&
            Interlocked.Exchange(ref _mappingReleased, 1) == 0)
        {
            _mapping.DangerousRelease();
        }
    }
}
