using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;
using Dvs.Interop;
using Dvs.Ipc;
using Dvs.Layout;
using Dvs.Services;
using Dvs.Transport;
using MemoryPack;
using Microsoft.Extensions.Logging;

namespace Dvs.Hosting;

/// <summary>
/// Server migration with epochs (shared DESIGN "Directory, epochs, migration").
/// Old node: START pauses the service at a message boundary (new requests stay queued in its ring
/// in arrival order: the slot is MIGRATING), packs state + exactly-once table + held requests and
/// streams the package to the target (bulk frames: whole frames of raw bytes in the reliable
/// session), which restores the service off its inbound thread and answers READY. A deterministic
/// service is pre-copied instead: its snapshot is taken at a message boundary while it goes on
/// serving and logging what it executes; only for the final delta (that log, replayed on the
/// target, and the held requests) is it paused, just before COMMIT. COMMIT (on the
/// outbound thread, so it is ordered with everything else this node sends): epoch + 1, the slot
/// becomes a forwarding stub (REMOTE, owner = target), what is still in its ring is forwarded in
/// order behind the COMMIT, and the other nodes are told. The target binds the endpoint, serves the
/// transferred requests first, announces itself (epoch + 1) and acknowledges. ROLLBACK (target
/// down, error, or timeout before commit): the old node serves again, held requests first; the
/// epoch does not change. Late messages reaching the old node are forwarded and their senders
/// redirected; a client whose request was lost with a dead old node replays it (same sequence:
/// the table answers it at most once).
/// </summary>
internal sealed unsafe partial class NodeProxy
{
    private const int CallKindMigrateOffer = 30;
    private const int CallKindMigrateData = 31;
    private const int CallKindMigratePrepare = 32;
    private const int CallKindMigrateReady = 33;
    private const int CallKindMigrateCommit = 34;
    private const int CallKindMigrateAbort = 35;
    private const int CallKindMigrateCommitted = 36;
    /// <summary>A pre-copy's delta follows (word 0: its length), as bulk frames with flags 1.</summary>
    private const int CallKindMigrateDelta = 37;
    /// <summary>Apply the delta now and answer READY (flags 1): migr_start of a pre-copy.</summary>
    private const int CallKindMigratePrepareDelta = 38;
    private const byte DeltaStage = 1;

    // Reused across migrations: a large state costs page faults only the first time it moves.
    private readonly ConcurrentBag<ArrayBufferWriter<byte>> _stateBuffers = new();
    private readonly ConcurrentBag<byte[]> _receiveBuffers = new();
    // ... but not forever: a node that moved 100 MiB once should not hold 200 MiB for good. Kept
    // while migrations keep coming, dropped once none used them for NetworkOptions.MigrationBufferKeep.
    private readonly long _migrationBufferKeepTicks;
    private long _migrationBuffersUsedAt;
    private volatile bool _migrationBuffersKept;

    private readonly ConcurrentDictionary<int, OutgoingMigration> _outgoing = new();
    private readonly ConcurrentQueue<OutgoingMigration> _toCommit = new();
    private readonly ConcurrentQueue<OutgoingMigration> _toRollback = new();
    private readonly List<(int DcId, int Index, int Endpoint)> _stubs = new();
    // The proxy reads a stub's ring; once the endpoint is bound here again its owner does: never both.
    private readonly Lock _stubLock = new();
    private readonly IncomingMigration?[] _incoming = new IncomingMigration?[SegmentLayout.MaxNodes];
    private int _nextMigrationId;

    /// <summary>The services of this host; set by the NodeHost.</summary>
    internal ServiceRegistry? Services { get; set; }

    /// <summary>The host's instruments (RTT histogram); null when nobody set them (unit tests).</summary>
    internal NodeMetrics? Metrics { get; set; }

    /// <summary>A migration this node started (it owns the endpoint until commit).</summary>
    private sealed class OutgoingMigration
    {
        public int Id;
        public int DcId;
        public int Endpoint;
        public int Target;
        public uint NewEpoch;
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
        public bool Paused;
        public byte[]? Delta;
        public int DeltaOffset;
        public bool DeltaOfferSent;
        public bool DeltaSent;
        /// <summary>The delta goes right before COMMIT, with no READY in between (the whole Migrate).</summary>
        public bool CommitAfterDelta;
        public ServiceHost? Host;
        /// <summary>The service runs in its own process: the handshake goes through the slot's flags.</summary>
        public bool External;
        public List<HeldMessage> Held = new();
        public readonly TaskCompletionSource<DvsError> Ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public readonly TaskCompletionSource<DvsError> DeltaReady = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public readonly TaskCompletionSource<DvsError> Committed = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public readonly TaskCompletionSource<DvsError> RolledBack = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    /// <summary>A migration arriving here from the endpoint's current owner.</summary>
    private sealed class IncomingMigration
    {
        public int Id;
        public int From;
        public byte[] Buffer = [];
        public long Length;
        public int HeaderLength;
        public byte[]? Delta;
        public bool DeltaApplied;
        public int Replayed;
        /// <summary>Set by the restoring worker; the inbound thread reads it at COMMIT (after READY).</summary>
        public volatile MigrationPackage? Package;
        public IMigratableService? Service;
        /// <summary>Its serving thread, started while preparing; attached to the endpoint at COMMIT.</summary>
        public ServiceHost? Host;
        /// <summary>ABORT, or replaced by a newer OFFER: a host prestarted for it must stop (under the object's lock).</summary>
        public bool Dropped;
        public ExactlyOnceTable? Table;
        public List<HeldMessage>? Held;
        /// <summary>The slot of a standby process that takes the service (when no factory runs it here).</summary>
        public int StandbyIndex = -1;
        public byte[] Bytes = [];
    }

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
        if (_copyJobs.Any(j => j.DcId == dcid && (j.SourceEndpoint == endpoint || j.DestinationEndpoint == endpoint)) ||
            IsCopyDestination(dcid, endpoint))
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
            MigrationPackage? header = host.BeginPrecopy(migration.StateBuffer, migration.NewEpoch, timeout);
            if (header is null)
            {
                _log.LogWarning("migration {Id}: the service on endpoint {Endpoint} took no snapshot within {Timeout}, or it failed", migration.Id, endpoint, timeout);
                KeepMigrationBuffer(migration.StateBuffer);
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

    /// <summary>A target that went down before commit: its migrations will not be ready.</summary>
    private void FailMigrationsTo(int peer)
    {
        foreach (OutgoingMigration migration in _outgoing.Values)
        {
            if (migration.Target == peer)
            {
                migration.Ready.TrySetResult(DvsError.NotConnected);
                migration.DeltaReady.TrySetResult(DvsError.NotConnected);
            }
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

    /// <summary>COMMIT of a started migration; returns when the target serves and announced itself.</summary>
    public DvsError MigrateCommit(int dcid, int endpoint, TimeSpan timeout, out uint epoch)
    {
        epoch = 0;
        OutgoingMigration? migration = _outgoing.Values.FirstOrDefault(m => m.DcId == dcid && m.Endpoint == endpoint);
        if (migration is null || !migration.Ready.Task.IsCompletedSuccessfully || migration.Ready.Task.Result != DvsError.Ok)
        {
            return DvsError.ProcSts;   // not started, or not prepared
        }
        if (Volatile.Read(ref _nodes[migration.Target].State) != SegmentLayout.NodeUp)
        {
            // The target died after READY: committing would strand the endpoint. Roll back instead.
            Rollback(migration, timeout);
            return DvsError.NotConnected;
        }
        if (migration.Precopy && !migration.Paused)
        {
            // The whole Migrate: pause only now, and send the delta right before COMMIT.
            DvsError paused = PauseForDelta(migration, timeout);
            if (paused != DvsError.Ok)
            {
                Rollback(migration, timeout);
                return paused;
            }
            migration.CommitAfterDelta = true;
        }
        _toCommit.Enqueue(migration);
        Doorbell.Wake(&_proxySlot->WakeSeq);
        epoch = migration.NewEpoch;
        // After the commit point the endpoint belongs to the target whatever happens: no rollback.
        bool acknowledged = migration.Committed.Task.Wait(timeout);
        migration.Host?.Stop();
        Finish(migration);
        return acknowledged ? migration.Committed.Task.Result : DvsError.TimedOut;
    }

    /// <summary>ROLLBACK of a started, uncommitted migration.</summary>
    public DvsError MigrateRollback(int dcid, int endpoint, TimeSpan timeout)
    {
        OutgoingMigration? migration = _outgoing.Values.FirstOrDefault(m => m.DcId == dcid && m.Endpoint == endpoint);
        if (migration is null)
        {
            return DvsError.ProcSts;
        }
        Rollback(migration, timeout);
        return DvsError.Ok;
    }

    private void Rollback(OutgoingMigration migration, TimeSpan timeout)
    {
        _toRollback.Enqueue(migration);
        Doorbell.Wake(&_proxySlot->WakeSeq);
        migration.RolledBack.Task.Wait(timeout);
        Finish(migration);
    }

    /// <summary>Outbound thread: streams packages, performs commits and rollbacks, forwards.</summary>
    private bool ProcessMigrations()
    {
        bool worked = false;
        while (_toRollback.TryDequeue(out OutgoingMigration? rollback))
        {
            DoRollback(rollback);
            worked = true;
        }
        while (_toCommit.TryPeek(out OutgoingMigration? commit))
        {
            if (commit.CommitAfterDelta && !commit.DeltaSent)
            {
                worked |= SendDelta(commit);
                if (!commit.DeltaSent)
                {
                    break;   // back-pressured: COMMIT must follow the whole delta
                }
            }
            _toCommit.TryDequeue(out _);
            DoCommit(commit);
            worked = true;
        }
        foreach (OutgoingMigration migration in _outgoing.Values)
        {
            if (!migration.Sent && !migration.RolledBack.Task.IsCompleted)
            {
                worked |= SendPackage(migration);
            }
            else if (migration.Delta is not null && !migration.CommitAfterDelta && !migration.DeltaSent && !migration.RolledBack.Task.IsCompleted)
            {
                worked |= SendDelta(migration);
            }
        }
        worked |= DrainStubs();
        return worked;
    }

    /// <summary>OFFER, the package (header, then state) as bulk frames, PREPARE; resumes where back-pressure stopped it.</summary>
    private bool SendPackage(OutgoingMigration migration)
    {
        ReliableSession session = _sessions[migration.Target]!;
        var header = new MessageHeader((ushort)migration.DcId, 0, migration.Endpoint, (uint)migration.Id, 0);
        long total = migration.Header.Length + (long)migration.State.Length;
        bool worked = false;
        lock (session.Gate)
        {
            if (!migration.OfferSent)
            {
                header.CallKind = CallKindMigrateOffer;
                Message m = default;
                m[0] = total;
                m[1] = migration.Header.Length;
                if (session.TrySend(header, new ReadOnlySpan<byte>(&m, sizeof(Message))) != SendStatus.Ok)
                {
                    return false;
                }
                migration.OfferSent = true;
                worked = true;
            }
            header.CallKind = CallKindMigrateData;
            int capacity = session.BulkCapacity;
            while (migration.Offset < total)
            {
                // Referenced by the session until acknowledged: the buffer is reused only once the
                // migration is over (Finish), and frames of an aborted one are ignored by the target.
                ReadOnlyMemory<byte> chunk = migration.Offset < migration.Header.Length
                    ? migration.Header.AsMemory((int)migration.Offset)
                    : migration.State[(int)(migration.Offset - migration.Header.Length)..];
                chunk = chunk[..Math.Min(chunk.Length, capacity)];
                header.RequestSequence = (uint)migration.Offset;
                SendStatus status = session.TrySendBulk(header, chunk);
                if (status == SendStatus.BackPressured)
                {
                    return worked;
                }
                if (status != SendStatus.Ok)
                {
                    migration.Sent = true;
                    migration.Ready.TrySetResult(DvsError.NotConnected);
                    return true;
                }
                migration.Offset += chunk.Length;
                worked = true;
            }
            header.CallKind = CallKindMigratePrepare;
            header.RequestSequence = 0;
            Message prepare = default;
            if (session.TrySend(header, new ReadOnlySpan<byte>(&prepare, sizeof(Message))) != SendStatus.Ok)
            {
                return worked;
            }
            migration.Sent = true;
        }
        return true;
    }

    /// <summary>A pre-copy's delta: DELTA (its length), bulk frames, then PREPARE-DELTA unless COMMIT follows.</summary>
    private bool SendDelta(OutgoingMigration migration)
    {
        ReliableSession session = _sessions[migration.Target]!;
        byte[] delta = migration.Delta!;
        var header = new MessageHeader((ushort)migration.DcId, 0, migration.Endpoint, (uint)migration.Id, 0);
        bool worked = false;
        lock (session.Gate)
        {
            if (!migration.DeltaOfferSent)
            {
                header.CallKind = CallKindMigrateDelta;
                Message m = default;
                m[0] = delta.Length;
                if (session.TrySend(header, new ReadOnlySpan<byte>(&m, sizeof(Message))) != SendStatus.Ok)
                {
                    return false;
                }
                migration.DeltaOfferSent = true;
                worked = true;
            }
            header.CallKind = CallKindMigrateData;
            header.Flags = DeltaStage;
            while (migration.DeltaOffset < delta.Length)
            {
                int n = Math.Min(delta.Length - migration.DeltaOffset, session.BulkCapacity);
                header.RequestSequence = (uint)migration.DeltaOffset;
                SendStatus status = session.TrySendBulk(header, delta.AsMemory(migration.DeltaOffset, n));
                if (status == SendStatus.BackPressured)
                {
                    return worked;
                }
                if (status != SendStatus.Ok)
                {
                    // The target is down: a commit that follows goes nowhere and times out; a
                    // migr_start is told now.
                    migration.DeltaSent = true;
                    migration.DeltaReady.TrySetResult(DvsError.NotConnected);
                    return true;
                }
                migration.DeltaOffset += n;
                worked = true;
            }
            if (!migration.CommitAfterDelta)
            {
                header.CallKind = CallKindMigratePrepareDelta;
                header.Flags = 0;
                header.RequestSequence = 0;
                Message prepare = default;
                if (session.TrySend(header, new ReadOnlySpan<byte>(&prepare, sizeof(Message))) != SendStatus.Ok)
                {
                    return worked;
                }
            }
            migration.DeltaSent = true;
        }
        return true;
    }

    private void DoCommit(OutgoingMigration migration)
    {
        if (_dcs[migration.DcId] is not DcView dc)
        {
            migration.Committed.TrySetResult(DvsError.BadDcId);
            return;
        }
        int index = dc.SlotIndexOf(migration.Endpoint);
        EndpointSlot* slot = dc.Slot(index);
        // 1. The commit point: from here on the endpoint is the target's; this slot forwards.
        slot->Epoch = migration.NewEpoch;
        slot->OwnerNode = migration.Target;
        slot->OwnerPid = 0;
        Interlocked.Exchange(ref slot->State, SegmentLayout.SlotRemote);
        _directory[migration.DcId]!.Announced[index] = 0;   // moved, not unbound: no unbind announcement
        if (migration.External)
        {
            // The service's process sees the slot remote (and the flag) and stops serving it.
            Interlocked.Or(ref slot->Flags, (uint)SlotFlags.Committed);
            Doorbell.Wake(&slot->WakeSeq);
        }
        else
        {
            // Paused, it touches nothing now; its thread is stopped (joined) by the caller of the
            // commit, not here: that costs context switches before the COMMIT could leave.
            Services?.Remove(migration.DcId, migration.Endpoint);
        }
        // 2. COMMIT first, then what reached the ring after the package was taken, in order.
        var header = new MessageHeader((ushort)migration.DcId, CallKindMigrateCommit, migration.Endpoint, (uint)migration.Id, 0);
        Message m = default;
        Post(migration.Target, header, m);
        RingHeader* ring = dc.Ring(index);
        long quiet = Stopwatch.GetTimestamp() + Stopwatch.Frequency / 100;
        while (true)
        {
            Message held;
            int meta;
            ulong incarnation;
            if (Shim.RingPollAux(ring, dc.RingCapacity, &held, &meta, &incarnation) == 0)
            {
                var forwarded = new MessageHeader((ushort)migration.DcId, (byte)(meta & SegmentLayout.KindMask), migration.Endpoint,
                    migration.NewEpoch, (uint)(meta >>> 8), incarnation);
                Post(migration.Target, forwarded, held);
                continue;
            }
            // A producer that saw MIGRATING may still be writing a claimed cell: wait for it.
            if (Volatile.Read(ref ring->Tail) == Volatile.Read(ref ring->Head) || Stopwatch.GetTimestamp() > quiet)
            {
                break;
            }
        }
        migration.Host?.Endpoint.Abandon();
        // 3. A sender that saw MIGRATING just before the switch may still land a message in this
        //    ring: the proxy keeps forwarding from it. The target announces the new home to the DC.
        lock (_stubLock)
        {
            _stubs.Add((migration.DcId, index, migration.Endpoint));
        }
        _log.LogInformation("migration {Id}: endpoint {Endpoint} of DC {Dc} committed to node {Target}, epoch {Epoch}",
            migration.Id, migration.Endpoint, migration.DcId, migration.Target, migration.NewEpoch);
    }

    private void DoRollback(OutgoingMigration migration)
    {
        if (_dcs[migration.DcId] is DcView dc)
        {
            EndpointSlot* slot = dc.Slot(dc.SlotIndexOf(migration.Endpoint));
            Interlocked.CompareExchange(ref slot->State, SegmentLayout.SlotLocal, SegmentLayout.SlotMigrating);
            if (migration.External)
            {
                Interlocked.And(ref slot->Flags, ~(uint)(SlotFlags.MigrateRequest | SlotFlags.Packaged));
                Doorbell.Wake(&slot->WakeSeq);   // the service's process resumes, its held requests first
            }
            var header = new MessageHeader((ushort)migration.DcId, CallKindMigrateAbort, migration.Endpoint, (uint)migration.Id, 0);
            Post(migration.Target, header, default);
        }
        migration.Sent = true;
        migration.DeltaSent = true;
        if (migration.Paused)
        {
            migration.Host?.Resume(migration.Held);
        }
        else
        {
            migration.Host?.EndPrecopy(migration.PrecopyLog);   // it never stopped serving
        }
        migration.Ready.TrySetResult(DvsError.TimedOut);
        migration.DeltaReady.TrySetResult(DvsError.TimedOut);
        migration.RolledBack.TrySetResult(DvsError.Ok);
        _log.LogWarning("migration {Id}: endpoint {Endpoint} of DC {Dc} rolled back, it serves on this node again",
            migration.Id, migration.Endpoint, migration.DcId);
    }

    /// <summary>Forwards stragglers from the rings of endpoints that moved away from this node.</summary>
    private bool DrainStubs()
    {
        lock (_stubLock)
        {
            return DrainStubsLocked();
        }
    }

    private bool DrainStubsLocked()
    {
        bool worked = false;
        for (int i = _stubs.Count - 1; i >= 0; i--)
        {
            (int dcid, int index, int endpoint) = _stubs[i];
            if (_dcs[dcid] is not DcView dc)
            {
                continue;
            }
            EndpointSlot* slot = dc.Slot(index);
            if (Volatile.Read(ref slot->State) != SegmentLayout.SlotRemote || slot->Endpoint != endpoint)
            {
                _stubs.RemoveAt(i);   // bound here again (migrated back): its owner reads the ring
                continue;
            }
            RingHeader* ring = dc.Ring(index);
            Message m;
            int meta;
            ulong incarnation;
            while (Shim.RingPollAux(ring, dc.RingCapacity, &m, &meta, &incarnation) == 0)
            {
                if (Post(slot->OwnerNode,
                    new MessageHeader((ushort)dcid, (byte)(meta & SegmentLayout.KindMask), endpoint, slot->Epoch, (uint)(meta >>> 8), incarnation), m))
                {
                    Count(NodeCounter.Forwarded);
                }
                worked = true;
            }
        }
        return worked;
    }

    /// <summary>Sends "endpoint lives on owner, epoch" to the peers of the DC (or one).</summary>
    private void Redirect(in DcView dc, int endpoint, int owner, uint epoch, int onlyTo)
    {
        foreach (int peer in _peerIds)
        {
            if ((onlyTo >= 0 && peer != onlyTo) || peer == owner || (dc.Descriptor->Nodes & (1UL << peer)) == 0)
            {
                continue;
            }
            Message m = default;
            m.Source = endpoint;
            m.Type = owner;
            Post(peer, new MessageHeader((ushort)dc.DcId, CallKindBind, endpoint, epoch, 0), m);
        }
    }

    /// <summary>
    /// A message for an endpoint that moved away: forward it in order, redirect its sender. False
    /// while the new owner's outbox is full: the session it came from holds it and retries.
    /// </summary>
    private bool Forward(int fromPeer, in MessageHeader header, in Message m, EndpointSlot* slot)
    {
        int owner = slot->OwnerNode;
        var forwarded = header;
        forwarded.Epoch = slot->Epoch;
        if (!TryForward(owner, forwarded, m))
        {
            return false;
        }
        if (header.Epoch < slot->Epoch && _dcs[header.DcId] is DcView dc)
        {
            Redirect(dc, header.Destination, owner, slot->Epoch, onlyTo: fromPeer);
        }
        Count(NodeCounter.Forwarded);
        return true;
    }
}
