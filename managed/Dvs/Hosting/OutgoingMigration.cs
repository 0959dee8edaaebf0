using System.Buffers;
using Dvs.Ipc;
using Dvs.Services;

namespace Dvs.Hosting;

/// <summary>
/// A migration this node started: it owns the endpoint's state and role until the target confirmed
/// (COMMITTED). <see cref="Phase"/> and everything the protocol decides are written by the proxy's
/// outbound thread only; the caller thread fills the package before it is published in the
/// proxy's table and reads the outcomes from the task sources.
/// </summary>
internal sealed class OutgoingMigration
{
    public int Id;
    public int DcId;
    public int Endpoint;
    public int Target;
    /// <summary>The target's incarnation when the migration started: a restart of the target voids it.</summary>
    public ulong TargetIncarnation;
    /// <summary>The epoch the target serves at after the commit; a rollback serves at one more.</summary>
    public uint NewEpoch;
    public MigrationPhase Phase;
    /// <summary>Committing: when the source stops waiting for COMMITTED and rolls back (ticks of the proxy's clock).</summary>
    public long CommitDeadline;
    public long CommitTimeoutTicks;
    /// <summary>The package without the state (MemoryPack), sent first.</summary>
    public byte[] Header = [];
    /// <summary>The state's bytes, sent after the header.</summary>
    public ReadOnlyMemory<byte> State;
    public ArrayBufferWriter<byte>? StateBuffer;
    public long Offset;
    public bool OfferSent;
    public bool Sent;
    /// <summary>Pre-copy: the service serves on until <see cref="Paused"/>.</summary>
    public bool Precopy;
    public object? PrecopyLog;
    /// <summary>Set by the caller thread once the service is paused; the rollback resumes it once.</summary>
    public volatile bool Paused;
    public int Resumed;
    public int PrecopyEnded;
    public byte[]? Delta;
    public int DeltaOffset;
    public bool DeltaOfferSent;
    public bool DeltaSent;
    /// <summary>The delta goes right before COMMIT, with no PREPARED in between (the whole Migrate).</summary>
    public bool CommitAfterDelta;
    public ServiceHost? Host;
    /// <summary>The service runs in its own process: the handshake goes through the slot's flags.</summary>
    public bool External;
    public List<HeldMessage> Held = new();
    public readonly TaskCompletionSource<DvsError> Ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    public readonly TaskCompletionSource<DvsError> DeltaReady = new(TaskCreationOptions.RunContinuationsAsynchronously);
    /// <summary>The commit point reached (Ok), or why it rolled back instead.</summary>
    public readonly TaskCompletionSource<DvsError> Committed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    /// <summary>The target serves (it bound the endpoint on HANDOVER and announced it).</summary>
    public readonly TaskCompletionSource<DvsError> Serving = new(TaskCreationOptions.RunContinuationsAsynchronously);
    public readonly TaskCompletionSource<DvsError> RolledBack = new(TaskCreationOptions.RunContinuationsAsynchronously);
}
