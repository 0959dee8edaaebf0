namespace Dvs.FaultRelay;

/// <summary>What one direction of the relay did. Thread-safe reads.</summary>
public sealed class RelayCounters
{
    internal long ReceivedCount;
    internal long ForwardedCount;
    internal long DroppedCount;
    internal long DuplicatedCount;
    internal long ReorderedCount;

    public long Received => Interlocked.Read(ref ReceivedCount);

    /// <summary>Datagrams sent on, duplicates included.</summary>
    public long Forwarded => Interlocked.Read(ref ForwardedCount);

    public long Dropped => Interlocked.Read(ref DroppedCount);

    public long Duplicated => Interlocked.Read(ref DuplicatedCount);

    public long Reordered => Interlocked.Read(ref ReorderedCount);

    public override string ToString() =>
        $"received={Received} forwarded={Forwarded} dropped={Dropped} duplicated={Duplicated} reordered={Reordered}";
}
