namespace Dvs.Cli.Commands;

/// <summary>What a migration's DVS error means, in words, for <c>dvs migrate</c>.</summary>
internal static class MigrationErrors
{
    /// <summary>The migration phases in order, as the node host names them.</summary>
    public static readonly string[] Phases = ["start", "transfer", "prepare", "commit"];

    public static string Explain(DvsError error) => error switch
    {
        DvsError.DcNode => "the target is not a node of the endpoint's DC (or not a peer of this node)",
        DvsError.NotConnected => "the target node is not connected (down, or never heard from)",
        DvsError.NotBind => "no migratable service runs on that endpoint on this node (a [service.*] of its host, one migrated there, or a ServiceHost in its own process)",
        DvsError.Migrate => "a migration of this endpoint is already in progress",
        DvsError.OnCopy => "the endpoint is in the middle of a vcopy; try again when it ends",
        DvsError.TimedOut => "it did not finish within the node host's migration timeout",
        DvsError.BadValue => "the target could not restore the service (its kind is not registered there, or the state did not unpack)",
        DvsError.ProcSts => "there is no started (and prepared) migration of this endpoint, or the endpoint is not in a state that can migrate",
        DvsError.BadDcId => "the node does not run that DC",
        DvsError.NoProxy => "the node host has no peers to migrate to",
        _ => "see the node host's log",
    };

    /// <summary>"start ok, transfer ok, prepare FAILED" for a failure in <paramref name="failed"/>.</summary>
    public static string PhaseTrail(string failed)
    {
        int at = Array.IndexOf(Phases, failed);
        if (at < 0)
        {
            return $"{failed} FAILED";
        }
        return string.Join(", ", Phases.Take(at).Select(p => $"{p} ok").Append($"{failed} FAILED"));
    }
}
