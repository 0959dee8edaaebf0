namespace Dvs;

/// <summary>
/// The end of a migration: Ok with the endpoint's new epoch, or the error and the phase that
/// failed (start, transfer, prepare, commit); after a failure before the commit point (the
/// target's confirmation) the endpoint was rolled back and serves on its old node again.
/// </summary>
public sealed record MigrationResult(DvsError Error, string Phase, uint Epoch, int FromNode, int ToNode, TimeSpan Elapsed, long StateBytes)
{
    public bool IsOk => Error == DvsError.Ok;

    public override string ToString() => IsOk
        ? $"migrated from node {FromNode} to node {ToNode}, epoch {Epoch}, {StateBytes} bytes of state in {Elapsed.TotalMilliseconds:0.0} ms"
        : $"migration from node {FromNode} to node {ToNode} failed in phase {Phase}: {Error}{Outcome}";

    // Every failure of a started migration rolls it back (the source serves again at a newer
    // epoch); a refusal (nothing started, bad arguments) changed nothing.
    private string Outcome => Phase is "transfer" or "prepare" or "commit" && Error is not (DvsError.ProcSts or DvsError.NoProxy or DvsError.BadDcId)
        ? $"; rolled back, node {FromNode} serves the endpoint again"
        : "";
}
