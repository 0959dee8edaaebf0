namespace Dvs.Hosting;

/// <summary>The commands of the control channel (<see cref="ControlRequest.Command"/>).</summary>
public static class ControlCommand
{
    /// <summary>The node's id, incarnation, peers and endpoints (<see cref="NodeStatus"/>).</summary>
    public const string Status = "status";

    /// <summary>The whole migration of a hosted service (start, transfer, prepare, commit); needs dc, endpoint, to.</summary>
    public const string Migrate = "migrate";

    /// <summary>migr_start alone: paused, packed, transferred, the target ready; needs dc, endpoint, to.</summary>
    public const string MigrateStart = "migrate-start";

    /// <summary>migr_commit of a started migration; needs dc, endpoint.</summary>
    public const string MigrateCommit = "migrate-commit";

    /// <summary>migr_rollback of a started migration; needs dc, endpoint.</summary>
    public const string MigrateRollback = "migrate-rollback";

    /// <summary>Every command, for messages.</summary>
    public static readonly IReadOnlyList<string> All = [Status, Migrate, MigrateStart, MigrateCommit, MigrateRollback];
}
