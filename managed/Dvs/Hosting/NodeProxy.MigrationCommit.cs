using System.Collections.Concurrent;
using System.Diagnostics;
using Dvs.Interop;
using Dvs.Ipc;
using Dvs.Layout;
using Dvs.Transport;
using Microsoft.Extensions.Logging;

namespace Dvs.Hosting;

/// <summary>
/// Server migration, the source's second half: the commit point and rollback, as the model in
/// tests/model/migration.pml states them (docs/protocol.md). COMMIT asks the prepared target to
/// confirm; until COMMITTED comes back the source keeps the state and the role (paused, requests
/// held in its ring). COMMITTED is the commit point: the slot becomes a forwarding stub of the
/// target at epoch + 1, what it held (ring, then overflow) is forwarded behind HANDOVER, and the
/// target serves. Any failure before it (the target down or restarted, its NOCOPY or refusal, a
/// timeout, an operator's rollback) ends with the source serving again at epoch + 2, announced to
/// the DC, and ABORT to the target. Every phase change happens on the outbound thread, from
/// commands (callers) and events (inbound thread, peer state); callers wait for the outcome.
/// </summary>
internal sealed unsafe partial class NodeProxy
{
    private readonly ConcurrentQueue<OutgoingMigration> _toCommit = new();
    private readonly ConcurrentQueue<OutgoingMigration> _toRollback = new();
    private readonly ConcurrentQueue<MigrationMessage> _migrationEvents = new();
    // Why the last started migration of an endpoint rolled back on its own (its target died): the
    // answer to an operator's migr_commit that comes after.
    private readonly ConcurrentDictionary<(int DcId, int Endpoint), (DvsError Why, int Target)> _autoRolledBack = new();

    /// <summary>migr_commit of a started migration; returns once the target confirmed and serves, or why it rolled back.</summary>
    public DvsError MigrateCommit(int dcid, int endpoint, TimeSpan timeout, out uint epoch)
    {
        epoch = 0;
        OutgoingMigration? migration = _outgoing.Values.FirstOrDefault(m => m.DcId == dcid && m.Endpoint == endpoint);
        if (migration is null)
        {
            // Rolled back on its own since migr_start (its target died): say why.
            return _autoRolledBack.TryRemove((dcid, endpoint), out var rolledBack) ? rolledBack.Why : DvsError.ProcSts;
        }
        if (!migration.Ready.Task.IsCompletedSuccessfully || migration.Ready.Task.Result != DvsError.Ok)
        {
            return DvsError.ProcSts;   // not prepared yet
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
        migration.CommitTimeoutTicks = timeout.Ticks;
        _toCommit.Enqueue(migration);
        Doorbell.Wake(&_proxySlot->WakeSeq);
        // The outbound thread ends the wait itself at its own deadline (a rollback); this bound
        // only keeps a caller from waiting forever on a proxy that died.
        DvsError outcome = migration.Committed.Task.Wait(timeout + timeout) ? migration.Committed.Task.Result : DvsError.TimedOut;
        if (outcome == DvsError.Ok)
        {
            epoch = migration.NewEpoch;
            // Past the commit point the endpoint is the target's whatever happens; wait (bounded)
            // until it serves, so the caller sees it served there when this returns.
            if (!migration.Serving.Task.Wait(timeout))
            {
                _log.LogWarning("migration {Id}: node {Target} confirmed but did not say within {Timeout} that it serves",
                    migration.Id, migration.Target, timeout);
            }
            migration.Host?.Stop();   // paused: joining it is quick, and not a proxy thread's work
        }
        Finish(migration);
        return outcome;
    }

    /// <summary>migr_rollback of a started, uncommitted migration.</summary>
    public DvsError MigrateRollback(int dcid, int endpoint, TimeSpan timeout)
    {
        OutgoingMigration? migration = _outgoing.Values.FirstOrDefault(m => m.DcId == dcid && m.Endpoint == endpoint);
        if (migration is null)
        {
            return _autoRolledBack.TryRemove((dcid, endpoint), out _) ? DvsError.Ok : DvsError.ProcSts;
        }
        Rollback(migration, timeout);
        return migration.Phase == MigrationPhase.HandedOver ? DvsError.ProcSts : DvsError.Ok;
    }

    private void Rollback(OutgoingMigration migration, TimeSpan timeout)
    {
        _toRollback.Enqueue(migration);
        Doorbell.Wake(&_proxySlot->WakeSeq);
        migration.RolledBack.Task.Wait(timeout);
        Finish(migration);
    }

    /// <summary>Outbound thread: the migration state machine's one writer, then the package streams and forwarding.</summary>
    private bool ProcessMigrations()
    {
        bool worked = ApplyMigrationEvents();
        worked |= ProcessFences();
        while (_toRollback.TryDequeue(out OutgoingMigration? rollback))
        {
            DoRollback(rollback, DvsError.Canceled);
            worked = true;
        }
        while (_toCommit.TryPeek(out OutgoingMigration? commit))
        {
            if (commit.CommitAfterDelta && !commit.DeltaSent && commit.Phase == MigrationPhase.Prepared)
            {
                worked |= SendDelta(commit);
                if (!commit.DeltaSent)
                {
                    break;   // back-pressured: COMMIT must follow the whole delta
                }
            }
            _toCommit.TryDequeue(out _);
            SendCommit(commit);
            worked = true;
        }
        long now = _clock.NowTicks;
        foreach (OutgoingMigration migration in _outgoing.Values)
        {
            if (migration.Phase == MigrationPhase.Committing && now > migration.CommitDeadline)
            {
                DoRollback(migration, DvsError.TimedOut);
                worked = true;
            }
            else if (migration.Phase == MigrationPhase.Transferring && !migration.Sent)
            {
                worked |= SendPackage(migration);
            }
            else if (migration.Delta is not null && !migration.CommitAfterDelta && !migration.DeltaSent &&
                     migration.Phase == MigrationPhase.Prepared)
            {
                worked |= SendDelta(migration);
            }
        }
        worked |= DrainStubs();
        return worked;
    }

    /// <summary>PREPARED, COMMITTED and "serving" from targets (queued by the inbound thread).</summary>
    private bool ApplyMigrationEvents()
    {
        bool worked = false;
        while (_migrationEvents.TryDequeue(out MigrationMessage e))
        {
            worked = true;
            if (!_outgoing.TryGetValue(e.Id, out OutgoingMigration? migration))
            {
                continue;   // over already: a late answer (its ABORT or HANDOVER went out)
            }
            switch (e.Kind)
            {
                case CallKind.MigrateReady when e.DeltaStage:
                    migration.DeltaReady.TrySetResult(e.Status);
                    break;
                case CallKind.MigrateReady:
                    if (migration.Phase == MigrationPhase.Transferring && e.Status == DvsError.Ok)
                    {
                        migration.Phase = MigrationPhase.Prepared;
                    }
                    migration.Ready.TrySetResult(e.Status);
                    break;
                case CallKind.MigrateCommitted when e.Serving:
                    migration.Serving.TrySetResult(e.Status);
                    break;
                case CallKind.MigrateCommitted when migration.Phase == MigrationPhase.Committing:
                    if (e.Status == DvsError.Ok)
                    {
                        FaultPoint.Reach(_faultPoint, FaultPoint.SourceCommitted);
                        Handover(migration);
                    }
                    else
                    {
                        // NOCOPY (the target restarted and holds nothing) or a copy it could not bind.
                        DoRollback(migration, e.Status);
                    }
                    break;
            }
        }
        return worked;
    }

    /// <summary>COMMIT: the target binds nothing yet, it confirms; the source keeps serving the role until then.</summary>
    private void SendCommit(OutgoingMigration migration)
    {
        if (migration.Phase != MigrationPhase.Prepared)
        {
            ResumeIfRolledBack(migration);   // rolled back meanwhile: Committed says why
            return;
        }
        if (Volatile.Read(ref _nodes[migration.Target].State) != SegmentLayout.NodeUp)
        {
            DoRollback(migration, DvsError.NotConnected);
            return;
        }
        MigrationMessage commit = MigrationMessage.Order(CallKind.MigrateCommit, migration.DcId, migration.Endpoint, migration.Id);
        Post(migration.Target, commit.Header, commit.Message);
        migration.Phase = MigrationPhase.Committing;
        migration.CommitDeadline = _clock.NowTicks + migration.CommitTimeoutTicks;
        _log.LogInformation("migration {Id}: COMMIT sent to node {Target}; serving here until it confirms", migration.Id, migration.Target);
    }

    /// <summary>
    /// The commit point (COMMITTED came): the slot becomes a stub of the target at the new epoch,
    /// and what it held goes to the target behind HANDOVER, in arrival order: the ring, then the
    /// overflow, then what the inbound thread forwarded while this ran.
    /// </summary>
    private void Handover(OutgoingMigration migration)
    {
        if (_dcs[migration.DcId] is not DcView dc)
        {
            migration.Committed.TrySetResult(DvsError.BadDcId);
            return;
        }
        int index = dc.SlotIndexOf(migration.Endpoint);
        EndpointSlot* slot = dc.Slot(index);
        lock (_stubLock)
        {
            _handingOver = (migration.DcId, index);
        }
        RecordEpoch(migration.DcId, migration.Endpoint, migration.NewEpoch, migration.Target);
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
            // Paused, it touches nothing now; its thread is joined by the caller of the commit.
            Services?.Remove(migration.DcId, migration.Endpoint);
        }
        // Every delivery that saw MIGRATING has put its message into the ring or the overflow by now;
        // later ones see REMOTE and forward (into _lateForward while _handingOver names this slot).
        WaitForDeliveryPasses();
        EndFenceWaits(migration.DcId, index);   // what it held for fences follows the endpoint, behind the ring's
        MigrationMessage handover = MigrationMessage.Order(CallKind.MigrateHandover, migration.DcId, migration.Endpoint, migration.Id);
        // HANDOVER and what follows it were accepted here (their senders were told they were sent):
        // a full outbox takes them past its bound rather than lose them.
        PostAccepted(migration.Target, handover.Header, handover.Message);
        EndpointRing ring = dc.InboundRing(index);
        long quiet = Stopwatch.GetTimestamp() + Stopwatch.Frequency / 100;
        while (true)
        {
            Message held;
            int meta;
            ulong incarnation;
            if (ring.TryPoll(&held, &meta, &incarnation))
            {
                ForwardHeld(migration, held, meta, incarnation);
                continue;
            }
            // A producer that saw MIGRATING may still be writing a claimed cell: wait for it.
            if (ring.LooksEmpty || Stopwatch.GetTimestamp() > quiet)
            {
                break;
            }
        }
        var overflow = new List<HeldMessage>();
        TakeOverflow(migration.DcId, index, overflow);
        foreach (HeldMessage held in overflow)
        {
            ForwardHeld(migration, held.Message, held.Meta, held.Incarnation);
        }
        migration.Host?.Endpoint.Abandon();
        lock (_stubLock)
        {
            foreach (var late in _lateForward)
            {
                PostAccepted(late.Peer, late.Header, late.Message);
            }
            _lateForward.Clear();
            _handingOver = (-1, -1);
            // A sender that saw MIGRATING just before the switch may still land a message in this
            // ring: the proxy keeps forwarding from it.
            _stubs.Add((migration.DcId, index, migration.Endpoint));
            _stubCount = _stubs.Count;
        }
        migration.Phase = MigrationPhase.HandedOver;
        migration.Committed.TrySetResult(DvsError.Ok);
        _log.LogInformation("migration {Id}: endpoint {Endpoint} of DC {Dc} committed to node {Target}, epoch {Epoch} (it confirmed)",
            migration.Id, migration.Endpoint, migration.DcId, migration.Target, migration.NewEpoch);
    }

    private void ForwardHeld(OutgoingMigration migration, in Message held, int meta, ulong incarnation)
    {
        var forwarded = new MessageHeader((ushort)migration.DcId, (byte)RingMeta.Kind(meta), migration.Endpoint,
            migration.NewEpoch, (uint)RingMeta.RequestSequence(meta), incarnation);
        PostAccepted(migration.Target, forwarded, held);
    }

    /// <summary>
    /// Before the commit point, whatever went wrong: the source serves again, held requests first,
    /// at epoch + 2 (newer than the + 1 a confirmed target may hold), announced to the DC, and the
    /// target is told to drop its copy. Idempotent.
    /// </summary>
    private void DoRollback(OutgoingMigration migration, DvsError why)
    {
        if (migration.Phase is MigrationPhase.HandedOver or MigrationPhase.RolledBack)
        {
            ResumeIfRolledBack(migration);
            migration.RolledBack.TrySetResult(DvsError.Ok);
            return;
        }
        MigrationPhase was = migration.Phase;
        uint epoch = migration.NewEpoch + 1;
        RecordEpoch(migration.DcId, migration.Endpoint, epoch, _nodeId);   // before it serves at it
        if (_dcs[migration.DcId] is DcView dc)
        {
            EndpointSlot* slot = dc.Slot(dc.SlotIndexOf(migration.Endpoint));
            slot->Epoch = epoch;
            Interlocked.CompareExchange(ref slot->State, SegmentLayout.SlotLocal, SegmentLayout.SlotMigrating);
            if (migration.External)
            {
                Interlocked.And(ref slot->Flags, ~(uint)(SlotFlags.MigrateRequest | SlotFlags.Packaged));
                Doorbell.Wake(&slot->WakeSeq);   // the service's process resumes, its held requests first
            }
            Redirect(dc, migration.Endpoint, _nodeId, epoch, onlyTo: -1);   // the DC learns the new epoch
            MigrationMessage abort = MigrationMessage.Order(CallKind.MigrateAbort, migration.DcId, migration.Endpoint, migration.Id);
            Post(migration.Target, abort.Header, abort.Message);
        }
        migration.Phase = MigrationPhase.RolledBack;
        migration.Sent = true;
        migration.DeltaSent = true;
        ResumeIfRolledBack(migration);
        migration.Ready.TrySetResult(why);
        migration.DeltaReady.TrySetResult(why);
        migration.Committed.TrySetResult(why);
        migration.Serving.TrySetResult(why);
        migration.RolledBack.TrySetResult(DvsError.Ok);
        if (was == MigrationPhase.Prepared && why != DvsError.Canceled)
        {
            // Started, prepared, and nobody waits for it: end it here, and keep why for the operator.
            _autoRolledBack[(migration.DcId, migration.Endpoint)] = (why, migration.Target);
            Finish(migration);
        }
        _log.LogWarning("migration {Id}: endpoint {Endpoint} of DC {Dc} rolled back in phase {Phase} ({Why}); it serves on this node again, epoch {Epoch}",
            migration.Id, migration.Endpoint, migration.DcId, was.ToString().ToLowerInvariant(),
            why == DvsError.Canceled ? "asked to" : why.ToString(), epoch);
    }

    /// <summary>A rolled-back migration's service serves on: resumed once (held requests first), or its pre-copy ended once.</summary>
    private static void ResumeIfRolledBack(OutgoingMigration migration)
    {
        if (migration.Phase != MigrationPhase.RolledBack)
        {
            return;
        }
        if (migration.Paused)
        {
            if (Interlocked.Exchange(ref migration.Resumed, 1) == 0)
            {
                migration.Host?.Resume(migration.Held);
            }
        }
        else if (Interlocked.Exchange(ref migration.PrecopyEnded, 1) == 0)
        {
            migration.Host?.EndPrecopy(migration.PrecopyLog);   // it never stopped serving
        }
    }

    /// <summary>
    /// A target that went down or restarted: before the commit point, the source serves again.
    /// Outbound thread (peer events). A restarted target also drops what it held of ours. An event
    /// is about one incarnation of the target: a migration to a newer one (listed after the target
    /// came back, before this thread applied the older incarnation's down event) goes on.
    /// </summary>
    /// <param name="peer">The target.</param>
    /// <param name="why">NotConnected (it went down) or HostRestarted.</param>
    /// <param name="downIncarnation">NotConnected: the incarnation that went down.</param>
    private void FailMigrationsTo(int peer, DvsError why, ulong downIncarnation)
    {
        ulong current = Volatile.Read(ref _nodes[peer].Incarnation);
        foreach (OutgoingMigration migration in _outgoing.Values)
        {
            bool concerned = why == DvsError.HostRestarted
                ? migration.TargetIncarnation != current
                : migration.TargetIncarnation == downIncarnation;
            if (migration.Target == peer && migration.Phase is MigrationPhase.Transferring or MigrationPhase.Prepared or MigrationPhase.Committing &&
                concerned)
            {
                DoRollback(migration, why);
            }
        }
    }
}
