namespace Dvs.Hosting;

/// <summary>
/// Where an outgoing migration stands (docs/protocol.md, "Migration protocol (as modelled)").
/// Written by the proxy's outbound thread only; the caller of migr_start / migr_commit /
/// migr_rollback enqueues a command and waits for the outcome.
/// </summary>
internal enum MigrationPhase
{
    /// <summary>The package is on its way (OFFER, DATA, PREPARE); no PREPARED yet.</summary>
    Transferring,

    /// <summary>The target restored the copy (PREPARED) and executes nothing; the source still serves the role, paused.</summary>
    Prepared,

    /// <summary>COMMIT sent; the source keeps the state and the role until COMMITTED (the commit point).</summary>
    Committing,

    /// <summary>COMMITTED came: the source is a forwarding stub, HANDOVER sent; the target serves.</summary>
    HandedOver,

    /// <summary>Any failure before the commit point: the source serves again at epoch + 2, ABORT sent.</summary>
    RolledBack,
}
