using Dvs.Ipc;
using Dvs.Services;

namespace Dvs.Hosting;

/// <summary>
/// A migration arriving here from the endpoint's current owner: the copy this node holds. It
/// executes nothing until HANDOVER; COMMIT only makes it confirm (COMMITTED).
/// </summary>
internal sealed class IncomingMigration
{
    public int Id;
    public int From;
    public byte[] Buffer = [];
    public long Length;
    public int HeaderLength;
    public byte[]? Delta;
    public bool DeltaApplied;
    public int Replayed;
    /// <summary>Set by the restoring worker; the inbound thread reads it at COMMIT (after PREPARED).</summary>
    public volatile MigrationPackage? Package;
    public IMigratableService? Service;
    /// <summary>Its serving thread, started while preparing; attached to the endpoint at HANDOVER.</summary>
    public ServiceHost? Host;
    /// <summary>ABORT, or replaced by a newer OFFER: a host prestarted for it must stop (under the object's lock).</summary>
    public bool Dropped;
    /// <summary>COMMIT came and was confirmed: only HANDOVER or ABORT ends it now.</summary>
    public volatile bool Committed;
    /// <summary>A pre-copy: the copy is current only once its delta is applied (the source served on after the snapshot).</summary>
    public bool Precopy;
    /// <summary>The source restarted while this node held a current copy: kept for its new incarnation to hand over or abort.</summary>
    public bool Orphaned;

    /// <summary>Everything the source had executed when it paused is in this copy (so its restart may hand it over).</summary>
    public bool IsCurrent => Package is not null && (!Precopy || DeltaApplied);
    public ExactlyOnceTable? Table;
    public List<HeldMessage>? Held;
    /// <summary>The slot of a standby process that takes the service (when no factory runs it here).</summary>
    public int StandbyIndex = -1;
    public byte[] Bytes = [];
}
