using System.Diagnostics;

namespace Dvs.Transport;

/// <summary>The real clock for sessions: monotonic time in ticks (100 ns). Tests pass their own
/// times instead. Thread-safe.</summary>
internal static class MonotonicClock
{
    private static readonly double s_ticksPerTimestamp = (double)TimeSpan.TicksPerSecond / Stopwatch.Frequency;

    public static long NowTicks => (long)(Stopwatch.GetTimestamp() * s_ticksPerTimestamp);
}
