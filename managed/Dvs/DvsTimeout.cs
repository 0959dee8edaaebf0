namespace Dvs;

/// <summary>
/// A timeout with the DVS conventions: <see cref="Forever"/> (-1), <see cref="NoWait"/> (0) or a
/// number of milliseconds.
/// </summary>
public readonly record struct DvsTimeout
{
    private DvsTimeout(int milliseconds) => Milliseconds = milliseconds;

    /// <summary>Milliseconds; -1 forever, 0 no wait.</summary>
    public int Milliseconds { get; }

    /// <summary>Waits as long as it takes (TIMEOUT_FOREVER).</summary>
    public static DvsTimeout Forever { get; } = new(-1);

    /// <summary>
    /// Fails at once with <see cref="DvsError.Again"/> instead of waiting (TIMEOUT_NOWAIT): Send when
    /// the destination ring is full, Receive when nothing is there; nothing is sent or taken then.
    /// SendRec (sync and async) refuses it with <see cref="DvsError.BadCall"/> and sends nothing: a
    /// request cannot complete without waiting for its reply.
    /// </summary>
    public static DvsTimeout NoWait { get; } = new(0);

    public bool IsForever => Milliseconds < 0;
    public bool IsNoWait => Milliseconds == 0;

    public static DvsTimeout FromMilliseconds(int milliseconds)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(milliseconds, -1);
        return new DvsTimeout(milliseconds);
    }

    public static implicit operator DvsTimeout(TimeSpan span) =>
        span == Timeout.InfiniteTimeSpan ? Forever : FromMilliseconds((int)Math.Min(int.MaxValue, Math.Ceiling(span.TotalMilliseconds)));

    public override string ToString() => IsForever ? "forever" : IsNoWait ? "no-wait" : $"{Milliseconds} ms";
}
