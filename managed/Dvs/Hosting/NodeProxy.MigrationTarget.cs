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
/// Server migration, the receiving half (the protocol: docs/protocol.md, "Migration protocol (as
/// modelled)"): every migration kind arriving from a peer is dispatched here (PREPARED and
/// COMMITTED go to the source's state machine as events). As the target, OFFER and DATA gather the
/// package (and a pre-copy's delta) into a reused buffer; PREPARE, PREPARE-DELTA and COMMIT are
/// done by a worker thread of the proxy (restore, delta replay, a standby's files: the service's
/// code and file I/O stay off the inbound thread), which answers PREPARED / COMMITTED; the copy
/// executes nothing until HANDOVER binds the endpoint and serves the held requests first; ABORT
/// drops it. Also the reuse and trimming of the migration buffers.
/// </summary>
internal sealed unsafe partial class NodeProxy
{
    /// <summary>Migration kinds from a peer (under its session lock).</summary>
    private void DeliverMigration(ReliableSession session, in DcView dc, in MessageHeader header, in Message m)
    {
        int peer = session.PeerNode;
        var message = new MigrationMessage(header, m);
        int id = message.Id;
        int endpoint = message.Endpoint;
        switch (message.Kind)
        {
            case CallKind.MigrateOffer:
                long length = message.PackageLength;
                long headerLength = message.PackageHeaderLength;
                Drop(_incoming[peer]);
                _incoming[peer] = null;
                // The peer names the size this thread allocates: bounded (issue 11.23).
                if (length < 0 || length > _options.MaxMigrationBytes || length > Array.MaxLength)
                {
                    Count(NodeCounter.DropTooLarge);
                }
                else if (headerLength >= 0 && headerLength <= length)
                {
                    _incoming[peer] = new IncomingMigration
                    {
                        Id = id, From = peer, Buffer = RentReceiveBuffer(length), Length = length, HeaderLength = (int)headerLength,
                        Precopy = message.Precopy,
                    };
                }
                return;
            case CallKind.MigrateDelta:
                if (_incoming[peer] is IncomingMigration withDelta && withDelta.Id == id)
                {
                    long deltaLength = message.DeltaLength;
                    if (deltaLength < 0 || deltaLength > _options.MaxMigrationBytes || deltaLength > Array.MaxLength)
                    {
                        Count(NodeCounter.DropTooLarge);
                    }
                    else
                    {
                        withDelta.Delta = new byte[deltaLength];
                    }
                }
                return;
            case CallKind.MigratePrepare:
                if (_incoming[peer] is IncomingMigration prepare && prepare.Id == id)
                {
                    // Restoring a large state takes long: not on this thread, which serves every
                    // other message from this peer meanwhile.
                    QueueRestore(prepare, dc.DcId, endpoint, TargetStep.Prepare);
                }
                else
                {
                    Answer(peer, CallKind.MigrateReady, dc.DcId, endpoint, id, DvsError.ProcSts);
                }
                return;
            case CallKind.MigratePrepareDelta:
                if (_incoming[peer] is IncomingMigration delta && delta.Id == id)
                {
                    QueueRestore(delta, dc.DcId, endpoint, TargetStep.ApplyDelta);   // the service's code: not here
                }
                else
                {
                    Answer(peer, CallKind.MigrateReady, dc.DcId, endpoint, id, DvsError.ProcSts, CallKind.DeltaStage);
                }
                return;
            case CallKind.MigrateCommit:
                if (_incoming[peer] is IncomingMigration commit && commit.Id == id && commit.Package is not null)
                {
                    // Replaying a delta runs the service's code, a standby's files are written:
                    // the worker does both, then confirms; still nothing is executed for clients.
                    QueueRestore(commit, dc.DcId, endpoint, TargetStep.Confirm);
                }
                else
                {
                    // NOCOPY: this node holds no copy of that migration (it restarted since, or dropped it).
                    Answer(peer, CallKind.MigrateCommitted, dc.DcId, endpoint, id, DvsError.HostRestarted);
                }
                return;
            case CallKind.MigrateHandover:
                FaultPoint.Reach(_faultPoint, FaultPoint.TargetHandover);
                if (_incoming[peer] is IncomingMigration handover && handover.Id == id && (handover.Committed || handover.Orphaned))
                {
                    _incoming[peer] = null;
                    // Bind now, before this session delivers the next entry: the held requests the
                    // source forwards right behind HANDOVER must find the endpoint served here.
                    BindMigrated(handover);
                }
                else
                {
                    Count(NodeCounter.DropOther);
                    _log.LogWarning("migration {Id}: HANDOVER from node {Peer} for a copy this node does not hold", id, peer);
                }
                return;
            case CallKind.MigrateAbort:
                if (_incoming[peer] is IncomingMigration abort && abort.Id == id)
                {
                    Drop(abort);
                    _incoming[peer] = null;
                }
                return;
            case CallKind.MigrateReady:
            case CallKind.MigrateCommitted:
                // The source's side: its outbound thread owns the migration's phase.
                _migrationEvents.Enqueue(message);
                Doorbell.Wake(&_proxySlot->WakeSeq);
                return;
        }
    }

    /// <summary>
    /// A target step (restore, delta replay, standby hand-over) on the proxy's restore worker
    /// (<see cref="ProxyWorker"/>): it runs the service's code or file I/O, never on a proxy thread.
    /// </summary>
    private void QueueRestore(IncomingMigration incoming, int dcid, int endpoint, TargetStep step) =>
        _restoreWork.Queue(() => RunTargetStep(incoming, dcid, endpoint, step));

    /// <summary>One step of the target's side, on the worker; each answers the source.</summary>
    private void RunTargetStep(IncomingMigration incoming, int dcid, int endpoint, TargetStep step)
    {
        switch (step)
        {
            case TargetStep.Prepare:
                Answer(incoming.From, CallKind.MigrateReady, dcid, endpoint, incoming.Id, Prepare(incoming));
                return;
            case TargetStep.ApplyDelta:
                Answer(incoming.From, CallKind.MigrateReady, dcid, endpoint, incoming.Id, ApplyDelta(incoming), CallKind.DeltaStage);
                return;
            case TargetStep.Confirm:
                DvsError applied = ApplyDelta(incoming);
                if (applied == DvsError.Ok && incoming.StandbyIndex >= 0)
                {
                    applied = WriteStandbyFiles(incoming);
                }
                lock (incoming)
                {
                    if (incoming.Dropped)
                    {
                        applied = DvsError.ProcSts;   // aborted meanwhile: the source rolled back already
                    }
                    else if (applied == DvsError.Ok)
                    {
                        // Confirmed, and still executing nothing: HANDOVER lets it serve, ABORT drops it.
                        // The role is this node's from here (the commit point), so the record says so,
                        // with the kind: a crash before HANDOVER must bring the service back here
                        // (newer, state lost), as a crash after it does; an ABORT records the source's newer epoch.
                        RecordEpoch(incoming.Package!.DcId, incoming.Package.Endpoint, incoming.Package.Epoch, _nodeId, incoming.Package.Kind);
                        incoming.Committed = true;
                    }
                }
                if (applied != DvsError.Ok)
                {
                    // Cannot happen with an intact package (the HMAC sees to that); say so rather than be silent.
                    Drop(incoming);
                }
                Answer(incoming.From, CallKind.MigrateCommitted, dcid, endpoint, incoming.Id, applied);
                return;
        }
    }

    /// <summary>A standby process reads the package (and a pre-copy's delta) from files: written before the copy is confirmed.</summary>
    private DvsError WriteStandbyFiles(IncomingMigration incoming)
    {
        MigrationPackage package = incoming.Package!;
        try
        {
            string path = ServiceHost.PackagePath(_segment.NodeName, package.DcId, package.Endpoint);
            ServiceHost.WritePackage(path, incoming.Bytes);
            if (incoming.Delta is not null)
            {
                ServiceHost.WritePackage(ServiceHost.DeltaPath(path), incoming.Delta);
            }
            else
            {
                File.Delete(ServiceHost.DeltaPath(path));
            }
            return DvsError.Ok;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _log.LogWarning(e, "migration {Id}: cannot write the package for the standby", incoming.Id);
            return DvsError.BadFile;
        }
    }

    /// <summary>A bulk frame of a migration (inbound thread, under the peer's session lock): into the package or the delta.</summary>
    private void DeliverMigrationData(int peer, in MessageHeader header, ReadOnlySpan<byte> data)
    {
        if (_incoming[peer] is not IncomingMigration incoming || incoming.Id != MigrationMessage.DataId(header))
        {
            return;   // an aborted migration's tail
        }
        bool ofDelta = MigrationMessage.IsDeltaData(header);
        byte[]? into = ofDelta ? incoming.Delta : incoming.Buffer;
        long offset = MigrationMessage.DataOffset(header);
        long limit = ofDelta ? into?.Length ?? 0 : incoming.Length;
        if (into is not null && offset + data.Length <= limit)
        {
            data.CopyTo(into.AsSpan((int)offset));
        }
    }

    /// <summary>Restores the service from the package; the endpoint is bound only at COMMIT.</summary>
    private DvsError Prepare(IncomingMigration incoming)
    {
        int peer = incoming.From;
        int id = incoming.Id;
        byte[] buffer = incoming.Buffer;
        try
        {
            MigrationPackage? package = MemoryPackSerializer.Deserialize<MigrationPackage>(buffer.AsSpan(0, incoming.HeaderLength));
            if (package is null)
            {
                return DvsError.BadValue;
            }
            ReadOnlySpan<byte> state = buffer.AsSpan(incoming.HeaderLength, (int)(incoming.Length - incoming.HeaderLength));
            IMigratableService? service = Services?.Create(package.Kind);
            if (service is null)
            {
                int standby = FindStandby(package.DcId, package.Kind);
                if (standby < 0)
                {
                    _log.LogWarning("migration {Id} from node {Peer}: no service of kind '{Kind}' can be created here, and no standby process waits for one",
                        id, peer, package.Kind);
                    return DvsError.BadValue;
                }
                // The standby process reads the whole package from a file, state included.
                package.State = state.ToArray();
                incoming.StandbyIndex = standby;
                incoming.Bytes = MemoryPackSerializer.Serialize(package);
                incoming.Package = package;
                return DvsError.Ok;
            }
            (incoming.Table, incoming.Held) = ServiceHost.Unpack(package, state, service);
            incoming.Service = service;
            ServiceHost host = ServiceHost.Prestart(package.Endpoint, service, package.Kind, incoming.Table, Services!.Log);
            lock (incoming)
            {
                if (incoming.Dropped)
                {
                    host.Stop();
                    return DvsError.ProcSts;
                }
                incoming.Host = host;
            }
            incoming.Package = package;
            return DvsError.Ok;
        }
        catch (Exception e) when (e is MemoryPackSerializationException or ArgumentException or InvalidOperationException or DvsException)
        {
            _log.LogWarning(e, "migration {Id} from node {Peer}: the package could not be restored", id, peer);
            return DvsError.BadValue;
        }
        finally
        {
            incoming.Buffer = [];
            KeepMigrationBuffer(buffer);
        }
    }

    /// <summary>Pre-copy: replays the delta on the restored service (once; nothing to do without one).</summary>
    private DvsError ApplyDelta(IncomingMigration incoming)
    {
        if (incoming.Delta is null || incoming.DeltaApplied || incoming.StandbyIndex >= 0)
        {
            return DvsError.Ok;   // nothing to replay, done, or the standby process replays it (HandOverToStandby)
        }
        if (incoming.Service is null || incoming.Table is null || incoming.Held is null)
        {
            return DvsError.BadValue;   // a delta needs a service restored here (pre-copy is for hosted services)
        }
        try
        {
            MigrationDelta delta = MemoryPackSerializer.Deserialize<MigrationDelta>(incoming.Delta)
                ?? throw new InvalidOperationException("empty delta");
            int replayed = ServiceHost.Replay(delta, incoming.Service, incoming.Table, incoming.Held);
            incoming.DeltaApplied = true;
            incoming.Replayed = replayed;
            _log.LogDebug("migration {Id}: {Replayed} requests replayed, {Held} held", incoming.Id, replayed, incoming.Held.Count);
            return DvsError.Ok;
        }
        catch (Exception e) when (e is MemoryPackSerializationException or ArgumentException or InvalidOperationException or DvsException)
        {
            _log.LogWarning(e, "migration {Id}: the delta could not be applied", incoming.Id);
            return DvsError.BadValue;
        }
    }

    /// <summary>An incoming migration that will not commit: stop the host prestarted for it.</summary>
    private static void Drop(IncomingMigration? incoming)
    {
        if (incoming is null)
        {
            return;
        }
        lock (incoming)
        {
            incoming.Dropped = true;
            incoming.Host?.Stop();
            incoming.Host = null;
        }
    }

    private void KeepMigrationBuffer(ArrayBufferWriter<byte> buffer)
    {
        _stateBuffers.Add(buffer);
        MigrationBuffersUsed();
    }

    private void KeepMigrationBuffer(byte[] buffer)
    {
        _receiveBuffers.Add(buffer);
        MigrationBuffersUsed();
    }

    private void MigrationBuffersUsed()
    {
        Volatile.Write(ref _migrationBuffersUsedAt, _clock.NowTicks);
        _migrationBuffersKept = true;
    }

    /// <summary>
    /// Drops the reused migration buffers once none was used for a while and no migration leaves
    /// this node (one that arrives owns its buffer until it ends). Outbound thread, when idle.
    /// </summary>
    private void TrimMigrationBuffers(long now)
    {
        if (!_migrationBuffersKept || now - Volatile.Read(ref _migrationBuffersUsedAt) < _migrationBufferKeepTicks || !_outgoing.IsEmpty)
        {
            return;
        }
        _migrationBuffersKept = false;
        _stateBuffers.Clear();
        _receiveBuffers.Clear();
    }

    /// <summary>Migration buffers this node keeps for the next migration (tests, diagnostics).</summary>
    internal int KeptMigrationBuffers => _stateBuffers.Count + _receiveBuffers.Count;

    /// <summary>A buffer of at least <paramref name="length"/> bytes, reused when one is free.</summary>
    private byte[] RentReceiveBuffer(long length)
    {
        while (_receiveBuffers.TryTake(out byte[]? buffer))
        {
            if (buffer.Length >= length)
            {
                return buffer;
            }
        }
        return GC.AllocateUninitializedArray<byte>((int)length);
    }

    /// <summary>Target side of HANDOVER (inbound thread, under the old owner's session lock): bind, serve the transferred requests first, say it serves.</summary>
    private void BindMigrated(IncomingMigration incoming)
    {
        MigrationPackage package = incoming.Package!;
        Node? node = Services?.Node;
        Endpoint? endpoint = null;
        DvsError error;
        var stragglers = new List<HeldMessage>();
        if (incoming.StandbyIndex < 0)
        {
            AwaitFences(package.DcId, package.Endpoint, incoming.From, package.Epoch);   // before the slot turns local
        }
        lock (_stubLock)
        {
            // Coming back to a node it left: what local senders put in the stub's ring since then
            // was not forwarded yet; binding resets the ring, so take it first.
            if (_stubs.Any(st => st.DcId == package.DcId && st.Endpoint == package.Endpoint) && _dcs[package.DcId] is DcView dc)
            {
                EndpointRing ring = dc.InboundRing(dc.SlotIndexOf(package.Endpoint));
                Message m;
                int meta;
                ulong incarnation;
                while (ring.TryPoll(&m, &meta, &incarnation))
                {
                    stragglers.Add(new HeldMessage(m, meta, incarnation));
                }
            }
            if (incoming.StandbyIndex >= 0)
            {
                error = HandOverToStandby(incoming, node);
            }
            else
            {
                // Fenced: this node's senders wait until its own FENCE is back (NodeProxy.Fences).
                error = node is null ? DvsError.NoProxy : node.CommitBind(package.DcId, package.Endpoint, package.Epoch, SlotFlags.Fenced, out endpoint);
            }
            _stubs.RemoveAll(st => st.DcId == package.DcId && st.Endpoint == package.Endpoint);
            _stubCount = _stubs.Count;
        }
        if (error == DvsError.Ok)
        {
            RecordEpoch(package.DcId, package.Endpoint, package.Epoch, _nodeId, package.Kind);
        }
        FencedBindDone(package.DcId, package.Endpoint, incoming.From, package.Epoch, error == DvsError.Ok);
        if (incoming.StandbyIndex >= 0)
        {
            if (error == DvsError.Ok && _dcs[package.DcId] is DcView target)
            {
                int index = target.SlotIndexOf(package.Endpoint);
                foreach (HeldMessage straggler in stragglers)
                {
                    Message m = straggler.Message;
                    target.InboundRing(index).TryOffer(&m, straggler.Meta, straggler.Incarnation);
                }
            }
            Answer(incoming.From, CallKind.MigrateCommitted, package.DcId, package.Endpoint, incoming.Id, error, CallKind.ServingFlag);
            return;
        }
        incoming.Held!.AddRange(stragglers);
        if (error == DvsError.Ok && endpoint is Endpoint bound)
        {
            bound.Requeue(incoming.Held!);
            ServiceHost host = incoming.Host ?? ServiceHost.Prestart(package.Endpoint, incoming.Service!, package.Kind, incoming.Table!, Services!.Log);
            incoming.Host = null;
            host.Replayed = incoming.Replayed;
            host.Attach(bound);
            Services!.Add(host);
            // The outbound thread announces it (the directory version changed) before it sends the
            // acknowledgement queued below, so the old node returns only once the DC was told.
        }
        else
        {
            Drop(incoming);
        }
        if (error != DvsError.Ok)
        {
            _log.LogError("migration {Id}: endpoint {Endpoint} of DC {Dc} was handed over but cannot be bound here ({Error})",
                incoming.Id, package.Endpoint, package.DcId, error);
        }
        Answer(incoming.From, CallKind.MigrateCommitted, package.DcId, package.Endpoint, incoming.Id, error, CallKind.ServingFlag);
        _log.LogInformation("migration {Id}: endpoint {Endpoint} of DC {Dc} now served here, epoch {Epoch} ({Error})",
            incoming.Id, package.Endpoint, package.DcId, package.Epoch, error);
    }

    /// <summary>A standby process of the package's kind on this node, or -1.</summary>
    private int FindStandby(int dcid, string kind)
    {
        if ((uint)dcid >= SegmentLayout.MaxDcs || _dcs[dcid] is not DcView dc)
        {
            return -1;
        }
        for (int i = 0; i < dc.NrSlots; i++)
        {
            EndpointSlot* slot = dc.Slot(i);
            if (Volatile.Read(ref slot->State) == SegmentLayout.SlotLocal &&
                (Volatile.Read(ref slot->Flags) & (uint)(SlotFlags.Standby | SlotFlags.Committed)) == (uint)SlotFlags.Standby &&
                NodeSegment.ReadName(slot->Name, 16) == kind && Liveness.OwnerAlive(slot))
            {
                return i;
            }
        }
        return -1;
    }

    /// <summary>Binds the endpoint to the standby process and tells it where its package is.</summary>
    private DvsError HandOverToStandby(IncomingMigration incoming, Node? node)
    {
        MigrationPackage package = incoming.Package!;
        if (node is null || _dcs[package.DcId] is not DcView dc)
        {
            return DvsError.NoProxy;
        }
        EndpointSlot* standby = dc.Slot(incoming.StandbyIndex);
        if (!Liveness.OwnerAlive(standby))
        {
            return DvsError.DstDied;
        }
        DvsError error = node.CommitBind(package.DcId, package.Endpoint, package.Epoch, standby->OwnerPid, standby->OwnerStartTime,
            createEndpoint: false, out _);
        if (error == DvsError.Ok)
        {
            standby->Reply.Type = package.DcId;
            standby->Reply.Source = package.Endpoint;
            Interlocked.Or(ref standby->Flags, (uint)SlotFlags.Committed);
            Doorbell.Wake(&standby->WakeSeq);
        }
        return error;
    }

    /// <summary>A target's answer (READY, COMMITTED) to the source, through its link.</summary>
    private void Answer(int peer, byte kind, int dcid, int endpoint, int id, DvsError status, byte flags = 0)
    {
        MigrationMessage answer = MigrationMessage.Answer(kind, dcid, endpoint, id, status, flags);
        Post(peer, answer.Header, answer.Message);
    }
}
