namespace Dvs;

/// <summary>
/// How a caller waits for a message, a reply or ring space: spin (no syscall, lowest latency),
/// then yield, then sleep on a futex in shared memory. On 2-vCPU machines waking a sleeping vCPU
/// costs ~20 us per side (shared FLOOR.md), so the default spins for 50 us first.
/// Immutable; safe to share.
/// </summary>
public sealed class WaitStrategy
{
    /// <summary>How long to spin before yielding.</summary>
    public TimeSpan SpinDuration { get; init; } = TimeSpan.FromMicroseconds(50);

    /// <summary>How many Thread.Yield rounds before sleeping.</summary>
    public int YieldCount { get; init; } = 16;

    /// <summary>Never sleep (a dedicated core per waiter; peer death is still noticed).</summary>
    public bool NeverSleep { get; init; }

    /// <summary>
    /// Longest single futex sleep; after each one the waiter checks that its peer is alive, so a
    /// peer killed without unbinding is noticed within this time even if no host reaps it.
    /// </summary>
    public TimeSpan SleepSlice { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Spin 50 us, yield, then sleep.</summary>
    public static WaitStrategy Default { get; } = new();

    /// <summary>Busy-spin forever: the lowest latency, one core burnt per waiter.</summary>
    public static WaitStrategy Spinning { get; } = new() { SpinDuration = TimeSpan.MaxValue, YieldCount = 0, NeverSleep = true };

    /// <summary>Sleep at once: no CPU while idle, ~45 us per round trip on these machines.</summary>
    public static WaitStrategy Blocking { get; } = new() { SpinDuration = TimeSpan.Zero, YieldCount = 0 };

    internal long SpinTicks => SpinDuration == TimeSpan.MaxValue
        ? long.MaxValue
        : (long)(SpinDuration.TotalSeconds * System.Diagnostics.Stopwatch.Frequency);
}
