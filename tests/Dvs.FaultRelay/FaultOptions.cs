namespace Dvs.FaultRelay;

/// <summary>
/// What the relay does to each datagram, as probabilities drawn independently per datagram from a
/// seeded generator, so a failing run replays with the same seed. Immutable.
/// </summary>
/// <param name="Drop">Probability a datagram is lost.</param>
/// <param name="Duplicate">Probability a forwarded datagram is sent twice.</param>
/// <param name="Reorder">Probability a datagram is held back and sent after the next 1..3 ones
/// (or after <see cref="HoldMilliseconds"/> when no other datagram comes).</param>
/// <param name="Seed">Seed of the decisions (each direction derives its own).</param>
public sealed record FaultOptions(double Drop, double Duplicate, double Reorder, int Seed)
{
    /// <summary>How long a held datagram waits at most when traffic stops.</summary>
    public int HoldMilliseconds { get; init; } = 5;

    public void Validate()
    {
        foreach ((string name, double p) in new[] { ("drop", Drop), ("duplicate", Duplicate), ("reorder", Reorder) })
        {
            if (double.IsNaN(p) || p < 0 || p > 1)
            {
                throw new ArgumentOutOfRangeException(name, p, "a probability, 0..1");
            }
        }
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(HoldMilliseconds);
    }
}
