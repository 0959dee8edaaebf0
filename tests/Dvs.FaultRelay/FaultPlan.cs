namespace Dvs.FaultRelay;

/// <summary>
/// The seeded sequence of decisions for one direction: the n-th datagram always gets the same
/// fate for the same seed. Not thread-safe (one per direction).
/// </summary>
public sealed class FaultPlan
{
    private readonly FaultOptions _options;
    private readonly Random _random;

    public FaultPlan(FaultOptions options, int direction)
    {
        options.Validate();
        _options = options;
        _random = new Random(HashCode.Combine(options.Seed, direction));
    }

    public FaultAction Next()
    {
        // Always draw all four numbers so one decision never shifts the later ones.
        double drop = _random.NextDouble();
        double duplicate = _random.NextDouble();
        double reorder = _random.NextDouble();
        int depth = _random.Next(1, 4);
        return new FaultAction(drop < _options.Drop, duplicate < _options.Duplicate,
            reorder < _options.Reorder ? depth : 0);
    }
}
