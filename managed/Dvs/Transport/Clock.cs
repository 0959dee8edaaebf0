namespace Dvs.Transport;

/// <summary>
/// Where the node host reads the time (ticks of 100 ns, monotonic): <see cref="Monotonic"/> in
/// production, a virtual clock the test moves in the node-host harness. A sealed class with a
/// null check rather than an interface: production pays one predictable branch, no interface call.
/// </summary>
internal sealed class Clock
{
    private readonly Func<long>? _source;

    /// <param name="source">Returns the time in ticks; null: <see cref="MonotonicClock"/>.</param>
    public Clock(Func<long>? source) => _source = source;

    /// <summary>The machine's monotonic clock.</summary>
    public static Clock Monotonic { get; } = new(null);

    /// <summary>Now, in ticks.</summary>
    public long NowTicks => _source is null ? MonotonicClock.NowTicks : _source();
}
