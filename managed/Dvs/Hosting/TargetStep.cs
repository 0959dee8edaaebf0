namespace Dvs.Hosting;

/// <summary>
/// What the target's migration worker does for a copy: the steps that run the service's code
/// (restore, delta replay) or write files, kept off the proxy's inbound thread.
/// </summary>
internal enum TargetStep
{
    /// <summary>PREPARE: restore the service from the package, answer PREPARED (READY).</summary>
    Prepare,

    /// <summary>PREPARE-DELTA: replay a pre-copy's delta, answer READY with the delta flag.</summary>
    ApplyDelta,

    /// <summary>COMMIT: replay the delta if not yet, write a standby's files, confirm (COMMITTED).</summary>
    Confirm,
}
