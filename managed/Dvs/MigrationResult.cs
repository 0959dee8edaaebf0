namespace Dvs;

/// <summary>
/// The end of a migration: Ok with the endpoint's new epoch, or the error and the phase that
/// failed (start, transfer, prepare, commit); after a failure before commit the endpoint was rolled
/// back and still serves on its old node.
/// </summary>
public sealed record MigrationResult(DvsError Error, string Phase, uint Epoch, int FromNode, int ToNode, TimeSpan Elapsed, long StateBytes)
{
    public bool IsOk => Error == DvsError.Ok;

    public override string ToString() => IsOk
        ? $"migrated from node {FromNode} to node {ToNode}, epoch {Epoch}, {StateBytes} bytes of state in {Elapsed.TotalMilliseconds:0.0} ms"
        : $"migration from node {FromNode} to node {ToNode} failed in phase {Phase}: {Error}";
}
