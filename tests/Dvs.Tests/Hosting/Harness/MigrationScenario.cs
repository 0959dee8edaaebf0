namespace Dvs.Tests.Hosting.Harness;

/// <summary>How a migration of the harness's properties ends.</summary>
internal enum MigrationScenario
{
    /// <summary>migr_start, migr_commit: the target serves.</summary>
    Commit,

    /// <summary>migr_start, then the operator's migr_rollback.</summary>
    OperatorRollback,

    /// <summary>The target dies a few steps into migr_start (offer, transfer, prepare).</summary>
    TargetDiesDuringStart,

    /// <summary>The target dies once prepared, before migr_commit.</summary>
    TargetDiesBeforeCommit,

    /// <summary>The target dies as COMMIT goes out: it may take COMMIT, its COMMITTED never arrives.</summary>
    TargetDiesDuringCommit,
}
