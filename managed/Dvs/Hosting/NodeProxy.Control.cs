namespace Dvs.Hosting;

// What the control channel asks the proxy about migrations in progress.
internal sealed partial class NodeProxy
{
    /// <summary>The target node of the started, uncommitted migration of an endpoint; -1 when none.</summary>
    public int MigrationTarget(int dcid, int endpoint) =>
        _outgoing.Values.FirstOrDefault(m => m.DcId == dcid && m.Endpoint == endpoint)?.Target
        ?? (_autoRolledBack.TryGetValue((dcid, endpoint), out var rolledBack) ? rolledBack.Target : -1);
}
