using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;
using Dvs.Hosting.Links;
using Dvs.Interop;
using Dvs.Ipc;
using Dvs.Layout;
using Dvs.Services;
using Dvs.Transport;
using MemoryPack;
using Microsoft.Extensions.Logging;

namespace Dvs.Hosting;

/// <summary>
/// Server migration with epochs, the source's first half: migr_start (docs/protocol.md, "Migration
/// protocol (as modelled)", is the protocol; NodeProxy.MigrationCommit.cs the commit point and
/// rollback). START pauses the service at a message boundary (new requests stay queued in its ring
/// in arrival order: the slot is MIGRATING), packs state + exactly-once table + held requests and
/// streams the package to the target (OFFER, DATA bulk frames, PREPARE), which restores it off its
/// inbound thread and answers PREPARED (READY on the wire). A deterministic service is pre-copied
/// instead: its snapshot is taken at a message boundary while it goes on serving and logging what
/// it executes; only for the final delta (that log and the held requests) is it paused.
/// </summary>
internal sealed unsafe partial class NodeProxy
{
    // Reused across migrations: a large state costs page faults only the first time it moves.
    private readonly ConcurrentBag<ArrayBufferWriter<byte>> _stateBuffers = new();
    private readonly ConcurrentBag<byte[]> _receiveBuffers = new();
    // ... but not forever: a node that moved 100 MiB once should not hold 200 MiB for good. Kept
    // while migrations keep coming, dropped once none used them for NetworkOptions.MigrationBufferKeep.
    private readonly long _migrationBufferKeepTicks;
    private long _migrationBuffersUsedAt;
    private volatile bool _migrationBuffersKept;

    private readonly ConcurrentDictionary<int, OutgoingMigration> _outgoing = new();
    private readonly IncomingMigration?[] _incoming = new IncomingMigration?[SegmentLayout.MaxNodes];
    private int _nextMigrationId;

    /// <summary>The services of this host; set by the NodeHost.</summary>
    internal ServiceRegistry? Services { get; set; }

    /// <summary>The epochs this node used, kept across a crash; null when nobody set it (unit tests).</summary>
    internal EpochRecord? Epochs { get; set; }

    private void RecordEpoch(int dcid, int endpoint, uint epoch, int owner, string? kind = null)
    {
        try
        {
            Epochs?.Raise(dcid, endpoint, epoch, owner, kind);
        }
        catch (DvsException e)
        {
            _log.LogWarning("endpoint {Endpoint} of DC {Dc}: epoch {Epoch} not recorded: {Why}", endpoint, dcid, epoch, e.Message);
        }
    }

    /// <summary>The host's instruments (RTT histogram); null when nobody set them (unit tests).</summary>
    internal NodeMetrics? Metrics { get; set; }

    // ------------------------------------------------------------------ old node

    /// <summary>
    /// START and transfer: pauses the service (or, pre-copying, snapshots it while it serves on),
    /// sends its package, waits for READY. With <paramref name="prepareFully"/> a pre-copy also
    /// pauses and sends its delta, so the target is as prepared as without (migr_start); without it,
    /// <see cref="MigrateCommit"/> does that right before COMMIT (the whole Migrate).
    /// </summary>
    public DvsError MigrateStart(int dcid, int endpoint, int target, TimeSpan timeout, out string phase, out long stateBytes,
        bool prepareFully = true)
    {
        phase = "start";
        stateBytes = 0;
        if ((uint)dcid >= (uint)_dcs.Length || _dcs[dcid] is not DcView dc)   // a dcid from a control request (-1)
        {
            return DvsError.BadDcId;
        }
        if ((uint)target >= SegmentLayout.MaxNodes || _sessions[target] is null || (dc.Descriptor->Nodes & (1UL << target)) == 0)
        {
            return DvsError.DcNode;   // the target is not a node of this DC
        }
        ServiceHost? host = Services?.Find(dcid, endpoint);
        int index = dc.SlotIndexOf(endpoint);
        if (index < 0)
        {
            return DvsError.NotBind;
        }
        EndpointSlot* slot = dc.Slot(index);
        bool external = host is null;
        if (external && (Volatile.Read(ref slot->State) != SegmentLayout.SlotLocal || slot->Endpoint != endpoint ||
                         (Volatile.Read(ref slot->Flags) & (uint)SlotFlags.Service) == 0 || !Liveness.OwnerAlive(slot)))
        {
            return DvsError.NotBind;  // only endpoints of services (hosted here or in their own process) can move
        }
        // What cannot move at all is said first; whether the target is reachable right now comes after.
        if (Volatile.Read(ref _nodes[target].State) != SegmentLayout.NodeUp)
        {
            return DvsError.NotConnected;
        }
        if (_outgoing.Values.Any(m => m.DcId == dcid && m.Endpoint == endpoint))
        {
            return DvsError.Migrate;  // already migrating
        }
        _autoRolledBack.TryRemove((dcid, endpoint), out _);
        if (_copies.Involves(dcid, endpoint))
        {
            return DvsError.OnCopy;   // in the middle of a vcopy
        }
        if (Interlocked.CompareExchange(ref slot->State, SegmentLayout.SlotMigrating, SegmentLayout.SlotLocal) != SegmentLayout.SlotLocal)
        {
            return DvsError.ProcSts;
        }
        WaitForDeliveryPasses();
        if (Volatile.Read(ref slot->Copies) != 0)
        {
            // A process of this node is copying from or into the endpoint's memory right now (see
            // Endpoint.VCopy): its snapshot would miss or tear that copy.
            Interlocked.Exchange(ref slot->State, SegmentLayout.SlotLocal);
            Doorbell.Ring(slot);
            return DvsError.OnCopy;
        }
        var migration = new OutgoingMigration
        {

            Id = Interlocked.Increment(ref _nextMigrationId),
            DcId = dcid,
            Endpoint = endpoint,
            Target = target,
            TargetIncarnation = Volatile.Read(ref _nodes[target].Incarnation),
            NewEpoch = slot->Epoch + 1,
            Host = host,
            External = external,
        };
        _log.LogInformation("migration {Id}: endpoint {Endpoint} of DC {Dc} to node {Target}: start (epoch {Epoch} on commit)",
            migration.Id, endpoint, dcid, target, migration.NewEpoch);
        if (external)
        {
            DvsError packed = PackExternal(migration, slot, timeout, out stateBytes);
            if (packed != DvsError.Ok)
            {
                Interlocked.And(ref slot->Flags, ~(uint)(SlotFlags.MigrateRequest | SlotFlags.Packaged));
                Interlocked.Exchange(ref slot->State, SegmentLayout.SlotLocal);
                Doorbell.Wake(&slot->WakeSeq);
                return packed;
            }
        }
        else if (host!.Service.IsDeterministic)
        {
            migration.Precopy = true;
            migration.StateBuffer = TakeStateBuffer();
            MigrationPackage? header = host.BeginPrecopy(migration.StateBuffer, migration.NewEpoch, timeout, out bool stillWriting);
            if (header is null)
            {
                _log.LogWarning("migration {Id}: the service on endpoint {Endpoint} took no snapshot within {Timeout}, or it failed", migration.Id, endpoint, timeout);
                if (!stillWriting)
                {
                    KeepMigrationBuffer(migration.StateBuffer);   // else the abandoned snapshot keeps it, then the GC
                }
                Interlocked.Exchange(ref slot->State, SegmentLayout.SlotLocal);
                return DvsError.TimedOut;
            }
            migration.PrecopyLog = host.PrecopyLog;
            migration.Header = MemoryPackSerializer.Serialize(header);
            migration.State = migration.StateBuffer.WrittenMemory;
            stateBytes = migration.State.Length;
        }
        else
        {
            if (!host.Pause(timeout))
            {
                _log.LogWarning("migration {Id}: the service on endpoint {Endpoint} did not pause within {Timeout}", migration.Id, endpoint, timeout);
                host.Resume(null);
                Interlocked.Exchange(ref slot->State, SegmentLayout.SlotLocal);
                return DvsError.TimedOut;
            }
            migration.Paused = true;
            phase = "transfer";
            migration.StateBuffer = TakeStateBuffer();
            migration.Header = MemoryPackSerializer.Serialize(host.TakePackage(migration.NewEpoch, migration.Held, migration.StateBuffer));
            migration.State = migration.StateBuffer.WrittenMemory;
            stateBytes = migration.State.Length;
        }
        phase = "transfer";
        _log.LogInformation("migration {Id}: paused, {Bytes} bytes of state to node {Target}", migration.Id, stateBytes, target);
        RecordEpoch(dcid, endpoint, migration.NewEpoch, _nodeId);   // reserved before OFFER leaves (the model's rule 5)
        _outgoing[migration.Id] = migration;
        Doorbell.Wake(&_proxySlot->WakeSeq);
        phase = "prepare";
        if (!migration.Ready.Task.Wait(timeout) || migration.Ready.Task.Result != DvsError.Ok)
        {
            DvsError why = migration.Ready.Task.IsCompleted ? migration.Ready.Task.Result : DvsError.TimedOut;
            _log.LogWarning("migration {Id}: node {Target} did not get ready ({Error}); rolling back", migration.Id, target, why);
            Rollback(migration, timeout);
            return why;
        }
        if (migration.Precopy && prepareFully)
        {
            DvsError final = PauseForDelta(migration, timeout);
            if (final == DvsError.Ok)
            {
                Doorbell.Wake(&_proxySlot->WakeSeq);
                final = migration.DeltaReady.Task.Wait(timeout) ? migration.DeltaReady.Task.Result : DvsError.TimedOut;
            }
            if (final != DvsError.Ok)
            {
                _log.LogWarning("migration {Id}: node {Target} did not take the delta ({Error}); rolling back", migration.Id, target, final);
                Rollback(migration, timeout);
                return final;
            }
        }
        _log.LogInformation("migration {Id}: node {Target} is prepared", migration.Id, target);
        return DvsError.Ok;
    }

    /// <summary>Pre-copy: pauses the service and takes its delta (the log since the snapshot and the held requests).</summary>
    private DvsError PauseForDelta(OutgoingMigration migration, TimeSpan timeout)
    {
        ServiceHost host = migration.Host!;
        if (!host.Pause(timeout))
        {
            _log.LogWarning("migration {Id}: the service on endpoint {Endpoint} did not pause within {Timeout}", migration.Id, migration.Endpoint, timeout);
            host.Resume(null);
            return DvsError.TimedOut;
        }
        migration.Paused = true;
        MigrationDelta delta = host.TakeDelta(migration.Held);
        migration.Delta = MemoryPackSerializer.Serialize(delta);
        return DvsError.Ok;
    }

    private ArrayBufferWriter<byte> TakeStateBuffer()
    {
        if (!_stateBuffers.TryTake(out ArrayBufferWriter<byte>? buffer))
        {
            buffer = new ArrayBufferWriter<byte>();
        }
        buffer.ResetWrittenCount();
        return buffer;
    }

    /// <summary>
    /// Returns once every delivery pass that was running has ended. A pass hands on the runs it
    /// gathered (DeliveryRun) only at its end, so a run for this endpoint accepted while it was
    /// still LOCAL could otherwise reach its ring after the commit had drained it, behind messages
    /// the old node already forwarded. Passes that start later see MIGRATING and deliver one by
    /// one, as before runs existed. Takes each session's gate once, never two at a time.
    /// </summary>
    private void WaitForDeliveryPasses()
    {
        foreach (int peer in _peerIds)
        {
            lock (_sessions[peer]!.Gate)
            {
            }
        }
    }

    /// <summary>The migration is over (committed or rolled back): its buffer serves the next one.</summary>
    private void Finish(OutgoingMigration migration)
    {
        if (_outgoing.TryRemove(migration.Id, out _) && migration.StateBuffer is { } buffer)
        {
            migration.State = default;
            KeepMigrationBuffer(buffer);
        }
    }

    /// <summary>Asks a service in its own process to pause and write its package; reads it (epoch set to the new one).</summary>
    private DvsError PackExternal(OutgoingMigration migration, EndpointSlot* slot, TimeSpan timeout, out long stateBytes)
    {
        stateBytes = 0;
        Interlocked.Or(ref slot->Flags, (uint)SlotFlags.MigrateRequest);
        Doorbell.Wake(&slot->WakeSeq);
        long deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        while ((Volatile.Read(ref slot->Flags) & (uint)SlotFlags.Packaged) == 0)
        {
            if (Stopwatch.GetTimestamp() > deadline)
            {
                return DvsError.TimedOut;
            }
            if (!Liveness.OwnerAlive(slot))
            {
                return DvsError.DstDied;
            }
            uint observed = Volatile.Read(ref _proxySlot->WakeSeq);
            if ((Volatile.Read(ref slot->Flags) & (uint)SlotFlags.Packaged) == 0)
            {
                Shim.FutexWait(&_proxySlot->WakeSeq, observed, 10);   // the service rings the proxy when done
            }
        }
        string path = ServiceHost.PackagePath(_segment.NodeName, migration.DcId, migration.Endpoint);
        try
        {
            MigrationPackage package = MemoryPackSerializer.Deserialize<MigrationPackage>(File.ReadAllBytes(path))
                ?? throw new InvalidOperationException("empty package");
            File.Delete(path);
            package.Epoch = migration.NewEpoch;
            migration.State = package.State;
            package.State = [];
            migration.Header = MemoryPackSerializer.Serialize(package);
            stateBytes = migration.State.Length;
            return DvsError.Ok;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or MemoryPackSerializationException or InvalidOperationException)
        {
            _log.LogWarning(e, "migration {Id}: the package of endpoint {Endpoint} could not be read", migration.Id, migration.Endpoint);
            return DvsError.BadFile;
        }
    }

    /// <summary>OFFER, the package (header, then state) as bulk frames, PREPARE; resumes where back-pressure stopped it. Through the target's link, behind whatever it queued before.</summary>
    private bool SendPackage(OutgoingMigration migration)
    {
        PeerLink link = _links[migration.Target]!;
        long total = migration.Header.Length + (long)migration.State.Length;
        bool worked = false;
        lock (link.Gate)
        {
            if (!migration.OfferSent)
            {
                MigrationMessage offer = MigrationMessage.Offer(migration.DcId, migration.Endpoint, migration.Id, total,
                    migration.Header.Length, migration.Precopy);
                SendStatus offered = link.TrySendNow(offer.Header, offer.Message);
                if (offered != SendStatus.Ok)
                {
                    return offered == SendStatus.PeerDown && TargetDown(migration, offered);
                }
                migration.OfferSent = true;
                worked = true;
            }
            int capacity = link.Session.BulkCapacity;
            while (migration.Offset < total)
            {
                // Referenced by the session until acknowledged: the buffer is reused only once the
                // migration is over (Finish), and frames of an aborted one are ignored by the target.
                ReadOnlyMemory<byte> chunk = migration.Offset < migration.Header.Length
                    ? migration.Header.AsMemory((int)migration.Offset)
                    : migration.State[(int)(migration.Offset - migration.Header.Length)..];
                chunk = chunk[..Math.Min(chunk.Length, capacity)];
                MessageHeader data = MigrationMessage.DataHeader(migration.DcId, migration.Endpoint, migration.Id, migration.Offset, deltaStage: false);
                SendStatus status = link.TrySendBulk(data, chunk);
                if (status == SendStatus.BackPressured)
                {
                    return worked;
                }
                if (status != SendStatus.Ok)
                {
                    return TargetDown(migration, status);
                }
                migration.Offset += chunk.Length;
                worked = true;
            }
            MigrationMessage prepare = MigrationMessage.Order(CallKind.MigratePrepare, migration.DcId, migration.Endpoint, migration.Id);
            SendStatus prepared = link.TrySendNow(prepare.Header, prepare.Message);
            if (prepared != SendStatus.Ok)
            {
                return prepared == SendStatus.PeerDown ? TargetDown(migration, prepared) : worked;
            }
            migration.Sent = true;
        }
        return true;
    }

    /// <summary>A pre-copy's delta: DELTA (its length), bulk frames, then PREPARE-DELTA unless COMMIT follows.</summary>
    private bool SendDelta(OutgoingMigration migration)
    {
        PeerLink link = _links[migration.Target]!;
        byte[] delta = migration.Delta!;
        bool worked = false;
        lock (link.Gate)
        {
            if (!migration.DeltaOfferSent)
            {
                MigrationMessage offer = MigrationMessage.DeltaOffer(migration.DcId, migration.Endpoint, migration.Id, delta.Length);
                SendStatus offered = link.TrySendNow(offer.Header, offer.Message);
                if (offered != SendStatus.Ok)
                {
                    return offered == SendStatus.PeerDown && DeltaTargetDown(migration, offered);
                }
                migration.DeltaOfferSent = true;
                worked = true;
            }
            while (migration.DeltaOffset < delta.Length)
            {
                int n = Math.Min(delta.Length - migration.DeltaOffset, link.Session.BulkCapacity);
                MessageHeader data = MigrationMessage.DataHeader(migration.DcId, migration.Endpoint, migration.Id, migration.DeltaOffset, deltaStage: true);
                SendStatus status = link.TrySendBulk(data, delta.AsMemory(migration.DeltaOffset, n));
                if (status == SendStatus.BackPressured)
                {
                    return worked;
                }
                if (status != SendStatus.Ok)
                {
                    return DeltaTargetDown(migration, status);
                }
                migration.DeltaOffset += n;
                worked = true;
            }
            if (!migration.CommitAfterDelta)
            {
                MigrationMessage prepare = MigrationMessage.Order(CallKind.MigratePrepareDelta, migration.DcId, migration.Endpoint, migration.Id);
                SendStatus prepared = link.TrySendNow(prepare.Header, prepare.Message);
                if (prepared != SendStatus.Ok)
                {
                    return prepared == SendStatus.PeerDown ? DeltaTargetDown(migration, prepared) : worked;
                }
            }
            migration.DeltaSent = true;
        }
        return true;
    }

    /// <summary>
    /// The package cannot go, its target is down: migr_start is told now (it rolls back). The
    /// peer-down event fails only migrations listed by then; one listed just after it (the target
    /// went down while the service paused) would wait out its whole timeout. A target that just
    /// restarted is up in the node table a round trip before its session is (its first frames do
    /// not count until it knows this node's incarnation): then the send waits for the session.
    /// </summary>
    private bool TargetDown(OutgoingMigration migration, SendStatus status)
    {
        if (SessionComingUp(migration.Target, status))
        {
            return false;
        }
        migration.Sent = true;
        migration.Ready.TrySetResult(DvsError.NotConnected);
        return true;
    }

    /// <summary>The delta cannot go, its target is down: a commit that follows goes nowhere and times out; a migr_start is told now.</summary>
    private bool DeltaTargetDown(OutgoingMigration migration, SendStatus status)
    {
        if (SessionComingUp(migration.Target, status))
        {
            return false;
        }
        migration.DeltaSent = true;
        migration.DeltaReady.TrySetResult(DvsError.NotConnected);
        return true;
    }

    /// <summary>The session refused with PeerDown, but the node table has the target up: it restarted and its session comes up next.</summary>
    private bool SessionComingUp(int target, SendStatus status) =>
        status == SendStatus.PeerDown && Volatile.Read(ref _nodes[target].State) == SegmentLayout.NodeUp;
}
