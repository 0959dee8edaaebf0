namespace Dvs.FaultRelay;

/// <summary>The fate of one datagram.</summary>
public readonly record struct FaultAction(bool Drop, bool Duplicate, int HoldFor)
{
    /// <summary>Held back until this many later datagrams went out (0: not reordered).</summary>
    public bool Reorder => HoldFor > 0;
}
