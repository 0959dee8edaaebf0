namespace Dvs.Transport;

/// <summary>
/// Count of dropped datagrams per <see cref="DropReason"/>.
/// Thread-safe: writers use atomic increments, readers may read at any time.
/// </summary>
internal sealed class DropCounters
{
    private static readonly int s_count = Enum.GetValues<DropReason>().Length;
    private readonly long[] _counts = new long[s_count];

    public void Increment(DropReason reason)
    {
        if (reason != DropReason.None)
        {
            Interlocked.Increment(ref _counts[(int)reason]);
        }
    }

    public long this[DropReason reason] => Volatile.Read(ref _counts[(int)reason]);

    /// <summary>All drops of any reason.</summary>
    public long Total
    {
        get
        {
            long total = 0;
            for (int i = 1; i < _counts.Length; i++)
            {
                total += Volatile.Read(ref _counts[i]);
            }
            return total;
        }
    }

    public override string ToString()
    {
        var parts = new List<string>();
        foreach (DropReason r in Enum.GetValues<DropReason>())
        {
            long n = this[r];
            if (r != DropReason.None && n != 0)
            {
                parts.Add($"{r}={n}");
            }
        }
        return parts.Count == 0 ? "no drops" : string.Join(' ', parts);
    }
}
