using Dvs.Ipc;
using Dvs.Layout;
using Dvs.Transport;
using Microsoft.Extensions.Logging;

namespace Dvs.Hosting;

/// <summary>
/// The directory half of the proxy (DVS rmtbind): local binds and unbinds are announced to every
/// peer of the DC in the same ordered stream as the data, so a peer always learns of an endpoint
/// before it sees a message from it; a peer that comes up gets the whole list; a peer that
/// restarts loses what it announced before.
/// </summary>
internal sealed unsafe partial class NodeProxy
{
    /// <summary>Announces what changed since the last pass in every DC; true if anything was sent.</summary>
    private bool AnnounceDirectoryChanges()
    {
        bool worked = false;
        for (int dcid = 0; dcid < SegmentLayout.MaxDcs; dcid++)
        {
            if (_dcs[dcid] is not DcView dc)
            {
                continue;
            }
            DirectoryState state = _directory[dcid]!;
            uint version = Volatile.Read(ref dc.Descriptor->DirVersion);
            if (version == state.Version)
            {
                continue;
            }
            bool complete = true;
            for (int i = 0; i < dc.NrSlots; i++)
            {
                EndpointSlot* slot = dc.Slot(i);
                uint slotState = Volatile.Read(ref slot->State);
                // MIGRATING is still ours until commit: no unbind announcement for it.
                ulong key = slotState is SegmentLayout.SlotLocal or SegmentLayout.SlotMigrating
                    ? DirectoryState.Key(slot->BindCount, slot->Endpoint)
                    : 0;
                ulong announced = state.Announced[i];
                if (key == announced)
                {
                    continue;
                }
                bool sent = true;
                if (announced != 0)
                {
                    sent &= Broadcast(dc, CallKind.Unbind, (int)(uint)announced, 0, onlyTo: -1);
                }
                if (key != 0)
                {
                    sent &= Broadcast(dc, CallKind.Bind, slot->Endpoint, slot->Epoch, onlyTo: -1);
                }
                if (sent)
                {
                    state.Announced[i] = key;
                    Count(NodeCounter.EndpointsAnnounced);
                    worked = true;
                }
                else
                {
                    complete = false;
                }
            }
            if (complete)
            {
                state.Version = version;
            }
        }
        return worked;
    }

    /// <summary>A message from a local endpoint must not overtake the announcement of that endpoint.</summary>
    private void EnsureSourceAnnounced(in DcView dc, int source)
    {
        int index = dc.SlotIndexOf(source);
        if (index >= 0)
        {
            EndpointSlot* slot = dc.Slot(index);
            if (_directory[dc.DcId]!.Announced[index] != DirectoryState.Key(slot->BindCount, slot->Endpoint))
            {
                AnnounceDirectoryChanges();
            }
        }
    }

    /// <summary>Peer up (send it our endpoints) and peer down (fail callers waiting on it).</summary>
    private bool ApplyPeerEvents()
    {
        bool worked = false;
        foreach (int peer in _peerIds)
        {
            if (Volatile.Read(ref _wentDown[peer]))
            {
                Volatile.Write(ref _wentDown[peer], false);
                FailWaitersOnNode(peer);
                FailMigrationsTo(peer, DvsError.NotConnected, Volatile.Read(ref _downIncarnation[peer]));
                worked = true;
            }
            if (Volatile.Read(ref _restarted[peer]))
            {
                Volatile.Write(ref _restarted[peer], false);
                FailMigrationsTo(peer, DvsError.HostRestarted, 0);   // its confirmation may be from the old incarnation
                worked = true;
            }
            if (Volatile.Read(ref _needsSync[peer]) && Volatile.Read(ref _nodes[peer].State) == SegmentLayout.NodeUp)
            {
                if (SyncPeer(peer))
                {
                    Volatile.Write(ref _needsSync[peer], false);
                }
                worked = true;
            }
        }
        return worked;
    }

    // Per peer, one bit per DC: the peer has announced all its endpoints of that DC to this
    // incarnation of it (CallKind.DirectorySynced after the list, in the same ordered stream).
    private readonly ulong[] _synced = new ulong[SegmentLayout.MaxNodes];
    // What restarted peers owned before (peer, DC, endpoint, epoch), told to them in their next sync.
    private readonly List<(int Peer, int DcId, int Endpoint, uint Epoch)> _formerOwnership = new();
    // Copies of restarted peers' migrations this node holds (peer, DC, endpoint, epoch, id): told to them in their next sync.
    private readonly List<(int Peer, int DcId, int Endpoint, uint Epoch, int Id)> _heldCopies = new();
    // Told to this node by its peers after it restarted: copies of its migrations they hold (holder, epoch, id).
    private readonly System.Collections.Concurrent.ConcurrentDictionary<(int DcId, int Endpoint), (int Holder, uint Epoch, int Id)> _heldElsewhere = new();
    // Told to this node by its peers after it restarted: endpoints it served before, at which epoch.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<(int DcId, int Endpoint), uint> _ownedBefore = new();
    // Set by the inbound thread when a peer restarted; the outbound thread ends migrations to it.
    private readonly bool[] _restarted = new bool[SegmentLayout.MaxNodes];

    /// <summary>
    /// True when this node knows every endpoint its peers of DC <paramref name="dcid"/> serve:
    /// each has announced its list since it came up, or is down. A node that starts services of
    /// its own waits for this, so that it never binds an endpoint a peer serves already (a
    /// restarted node whose service migrated away while it was gone).
    /// </summary>
    public bool DirectoryKnown(int dcid)
    {
        if ((uint)dcid >= SegmentLayout.MaxDcs || _dcs[dcid] is not DcView dc)
        {
            return true;
        }
        foreach (int peer in _peerIds)
        {
            if ((dc.Descriptor->Nodes & (1UL << peer)) != 0 &&
                (Volatile.Read(ref _synced[peer]) & (1UL << dcid)) == 0 &&
                Volatile.Read(ref _nodes[peer].State) != SegmentLayout.NodeDown)
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>Announces every local endpoint of the DCs shared with <paramref name="peer"/>, then says the list is complete.</summary>
    private bool SyncPeer(int peer)
    {
        for (int dcid = 0; dcid < SegmentLayout.MaxDcs; dcid++)
        {
            if (_dcs[dcid] is not DcView dc || (dc.Descriptor->Nodes & (1UL << peer)) == 0)
            {
                continue;
            }
            for (int i = 0; i < dc.NrSlots; i++)
            {
                EndpointSlot* slot = dc.Slot(i);
                uint state = Volatile.Read(ref slot->State);
                if ((state == SegmentLayout.SlotLocal || state == SegmentLayout.SlotMigrating) &&
                    !Broadcast(dc, CallKind.Bind, slot->Endpoint, slot->Epoch, onlyTo: peer))
                {
                    return false;   // window full: the whole sync is repeated later (binds are idempotent)
                }
            }
            lock (_formerOwnership)
            {
                foreach ((int owner, int formerDc, int endpoint, uint epoch) in _formerOwnership)
                {
                    if (owner == peer && formerDc == dcid && !Broadcast(dc, CallKind.OwnerStatus, endpoint, epoch, onlyTo: peer))
                    {
                        return false;
                    }
                }
                foreach ((int source, int copyDc, int endpoint, uint epoch, int id) in _heldCopies)
                {
                    if (source == peer && copyDc == dcid && !SendCopyStatus(dc, peer, endpoint, epoch, id))
                    {
                        return false;
                    }
                }
            }
            if (!Broadcast(dc, CallKind.DirectorySynced, EndpointNumber.Make(0, 0), 0, onlyTo: peer))
            {
                return false;
            }
        }
        lock (_formerOwnership)
        {
            _formerOwnership.RemoveAll(f => f.Peer == peer);
            _heldCopies.RemoveAll(c => c.Peer == peer);
        }
        _log.LogDebug("announced local endpoints to node {Peer}", peer);
        return true;
    }

    /// <summary>Sends a control message to the peers of a DC that are up (or only to one).</summary>
    private bool Broadcast(in DcView dc, int kind, int endpoint, uint epoch, int onlyTo)
    {
        bool all = true;
        Message m = default;
        m.Source = endpoint;
        m.Type = _nodeId;   // bind: the owner
        var header = new MessageHeader((ushort)dc.DcId, (byte)kind, endpoint, epoch, 0);
        foreach (int peer in _peerIds)
        {
            if ((onlyTo >= 0 && peer != onlyTo) || (dc.Descriptor->Nodes & (1UL << peer)) == 0 ||
                Volatile.Read(ref _nodes[peer].State) != SegmentLayout.NodeUp)
            {
                continue;   // a peer that is not up gets everything when it comes up
            }
            // Through the link: an announcement keeps its place before the messages that follow it.
            all &= _links[peer]!.Post(header, m) != Links.LinkStatus.Full;
        }
        return all;
    }

    private bool SendCopyStatus(in DcView dc, int peer, int endpoint, uint epoch, int id)
    {
        Message m = default;
        m[0] = id;
        var header = new MessageHeader((ushort)dc.DcId, CallKind.CopyStatus, endpoint, epoch, 0);
        return _links[peer]!.Post(header, m) != Links.LinkStatus.Full;
    }

    /// <summary>
    /// True (once) when a peer said, after this node restarted, that it holds a current copy of
    /// this node's migration of the endpoint: its holder, the copy's epoch and the migration id.
    /// </summary>
    public bool HeldElsewhere(int dcid, int endpoint, out (int Holder, uint Epoch, int Id) copy) =>
        _heldElsewhere.TryRemove((dcid, endpoint), out copy);

    /// <summary>Every copy peers said they hold of this node's migrations and nobody claimed yet (taken).</summary>
    public List<(int DcId, int Endpoint, int Holder, uint Epoch, int Id)> TakeHeldElsewhere()
    {
        var all = new List<(int, int, int, uint, int)>();
        foreach ((int dc, int endpoint) in _heldElsewhere.Keys)
        {
            if (_heldElsewhere.TryRemove((dc, endpoint), out var copy))
            {
                all.Add((dc, endpoint, copy.Holder, copy.Epoch, copy.Id));
            }
        }
        return all;
    }

    /// <summary>After a restart: the copy a peer holds is current, it serves from now on (HANDOVER), or stale (ABORT).</summary>
    public void SettleCopy(int holder, int dcid, int endpoint, int id, bool handOver)
    {
        var header = new MessageHeader((ushort)dcid, (byte)(handOver ? CallKind.MigrateHandover : CallKind.MigrateAbort), endpoint, (uint)id, 0);
        Post(holder, header, default);
    }

    /// <summary>A peer announced one of its endpoints: it becomes remote here (rmtbind).</summary>
    private void ApplyBind(in DcView dc, int index, int endpoint, int peer, uint epoch)
    {
        EndpointSlot* slot = dc.Slot(index);
        while (true)
        {
            uint state = Volatile.Read(ref slot->State);
            if (state == SegmentLayout.SlotFree)
            {
                if (Interlocked.CompareExchange(ref slot->State, SegmentLayout.SlotBinding, state) != state)
                {
                    continue;
                }
                slot->OwnerPid = 0;
                slot->OwnerStartTime = 0;
                slot->Endpoint = endpoint;
                slot->OwnerNode = peer;
                slot->Epoch = epoch;
                slot->Flags = 0;
                slot->Sent = slot->Received = slot->Replies = 0;
                SlotReclaimer.Clear(dc, index);
                Interlocked.Exchange(ref slot->State, SegmentLayout.SlotRemote);
                Doorbell.Ring(slot);
                if (epoch > 0)
                {
                    // Nothing sent before: straight to the owner, whose wait (it is a migrated
                    // endpoint: epoch 0 never moved) expects one from every node of the DC.
                    FenceOwnerChange(dc.DcId, endpoint, -1, peer, epoch);
                }
                return;
            }
            if (state == SegmentLayout.SlotRemote)
            {
                if (slot->Endpoint == endpoint && epoch < slot->Epoch)
                {
                    return;   // older news than what this node knows (a late redirect)
                }
                int before = slot->Endpoint == endpoint ? slot->OwnerNode : -1;
                slot->Endpoint = endpoint;
                slot->OwnerNode = peer;
                slot->Epoch = epoch;
                Doorbell.Ring(slot);
                if (before != peer)
                {
                    FenceOwnerChange(dc.DcId, endpoint, before, peer, epoch);   // behind what went to the old owner
                }
                return;
            }
            if (state == SegmentLayout.SlotLocal && slot->Endpoint == endpoint && epoch > slot->Epoch)
            {
                // A newer owner (it migrated there while this node was away, and this node then
                // bound a stale copy): the copy with the older epoch yields, never two servers.
                YieldToNewerOwner(dc, index, endpoint, peer, epoch);
                return;
            }
            Count(NodeCounter.DropOther);
            _log.LogWarning("node {Peer} announced endpoint {Endpoint} of DC {Dc} (epoch {Epoch}), which is bound on this node (epoch {Local})",
                peer, endpoint, dc.DcId, epoch, slot->Epoch);
            return;
        }
    }

    /// <summary>
    /// The stale copy stops taking requests now; its thread is joined on the service worker, not
    /// here: the receiver runs this, and a service inside a call to another node needs the
    /// receiver for its reply before it can stop.
    /// </summary>
    private void YieldToNewerOwner(in DcView dc, int index, int endpoint, int owner, uint epoch)
    {
        EndpointSlot* slot = dc.Slot(index);
        Services.ServiceHost? stale = Services?.Find(dc.DcId, endpoint);
        if (stale is not null)
        {
            stale.RequestStop();
            Services!.Remove(dc.DcId, endpoint);
        }
        if (Interlocked.CompareExchange(ref slot->State, SegmentLayout.SlotBinding, SegmentLayout.SlotLocal) != SegmentLayout.SlotLocal)
        {
            if (stale is not null)
            {
                _serviceWork.Queue(stale.Stop);
            }
            return;
        }
        SlotReclaimer.FailWaiters(dc, endpoint);   // their callers replay to the owner
        RecordEpoch(dc.DcId, endpoint, epoch, owner);
        slot->OwnerNode = owner;
        slot->OwnerPid = 0;
        slot->Epoch = epoch;
        Interlocked.Or(ref slot->Flags, (uint)SlotFlags.Committed);   // a service in its own process stops
        _directory[dc.DcId]!.Announced[index] = 0;
        Interlocked.Exchange(ref slot->State, SegmentLayout.SlotRemote);
        Doorbell.Wake(&slot->WakeSeq);
        int dcid = dc.DcId;
        if (stale is null)
        {
            AddStub(dcid, index, endpoint);
        }
        else
        {
            // The ring has one reader: the stale thread until it ended, then the stub.
            _serviceWork.Queue(() =>
            {
                stale.Stop();
                stale.Endpoint.Abandon();
                AddStub(dcid, index, endpoint);
            });
        }
        _log.LogWarning("endpoint {Endpoint} of DC {Dc} lives on node {Owner} (epoch {Epoch}): the copy here (older) stopped",
            endpoint, dc.DcId, owner, epoch);
    }

    /// <summary>What was queued for a stale copy follows the owner (DrainStubs).</summary>
    private void AddStub(int dcid, int index, int endpoint)
    {
        lock (_stubLock)
        {
            _stubs.Add((dcid, index, endpoint));
            _stubCount = _stubs.Count;
        }
        Doorbell.Wake(&_proxySlot->WakeSeq);
    }

    /// <summary>A peer says this node served <paramref name="endpoint"/> at <paramref name="epoch"/> before it restarted.</summary>
    private void ApplyOwnerStatus(int dcid, int endpoint, uint epoch) =>
        _ownedBefore.AddOrUpdate((dcid, endpoint), epoch, (_, known) => Math.Max(known, epoch));

    /// <summary>
    /// True (once) when a peer said that this node served the endpoint before its restart, with the
    /// newest epoch it was served at: its state died with the previous incarnation.
    /// </summary>
    public bool OwnedBefore(int dcid, int endpoint, out uint epoch) => _ownedBefore.TryRemove((dcid, endpoint), out epoch);

    private void ApplyUnbind(in DcView dc, int index, int endpoint, int peer) =>
        FreeRemote(dc, index, endpoint, peer, ReplyWord.PeerDied);

    private static void FreeRemote(in DcView dc, int index, int endpoint, int peer, uint failState)
    {
        EndpointSlot* slot = dc.Slot(index);
        if (Volatile.Read(ref slot->State) != SegmentLayout.SlotRemote || slot->OwnerNode != peer || slot->Endpoint != endpoint ||
            Interlocked.CompareExchange(ref slot->State, SegmentLayout.SlotBinding, SegmentLayout.SlotRemote) != SegmentLayout.SlotRemote)
        {
            return;
        }
        SlotReclaimer.FailWaiters(dc, endpoint, failState);
        slot->OwnerNode = -1;
        Volatile.Write(ref slot->State, SegmentLayout.SlotFree);
        SlotReclaimer.WakeAll(dc);
    }

    /// <summary>
    /// Forgets every endpoint that <paramref name="peer"/> announced (it restarted), and keeps what
    /// it owned at which epoch: its new incarnation learns that in the next sync (OWNER-STATUS)
    /// before it serves anything, so it never serves one of them at an older epoch, nor silently empty.
    /// </summary>
    private void ForgetRemoteEndpoints(int peer, uint failState)
    {
        lock (_formerOwnership)
        {
            for (int dcid = 0; dcid < SegmentLayout.MaxDcs; dcid++)
            {
                if (_dcs[dcid] is not DcView known)
                {
                    continue;
                }
                for (int i = 0; i < known.NrSlots; i++)
                {
                    EndpointSlot* slot = known.Slot(i);
                    if (Volatile.Read(ref slot->State) == SegmentLayout.SlotRemote && slot->OwnerNode == peer)
                    {
                        _formerOwnership.Add((peer, dcid, slot->Endpoint, slot->Epoch));
                    }
                }
            }
        }
        for (int dcid = 0; dcid < SegmentLayout.MaxDcs; dcid++)
        {
            if (_dcs[dcid] is not DcView dc)
            {
                continue;
            }
            for (int i = 0; i < dc.NrSlots; i++)
            {
                EndpointSlot* slot = dc.Slot(i);
                if (Volatile.Read(ref slot->State) == SegmentLayout.SlotRemote && slot->OwnerNode == peer)
                {
                    FreeRemote(dc, i, slot->Endpoint, peer, failState);
                }
            }
        }
    }

    /// <summary>Callers waiting for replies from endpoints on a node that went down get NotConnected.</summary>
    private void FailWaitersOnNode(int peer)
    {
        for (int dcid = 0; dcid < SegmentLayout.MaxDcs; dcid++)
        {
            if (_dcs[dcid] is not DcView dc)
            {
                continue;
            }
            for (int i = 0; i < dc.NrSlots; i++)
            {
                EndpointSlot* slot = dc.Slot(i);
                if (Volatile.Read(ref slot->State) == SegmentLayout.SlotRemote && slot->OwnerNode == peer)
                {
                    SlotReclaimer.FailWaiters(dc, slot->Endpoint, ReplyWord.PeerDown);
                }
            }
        }
    }
}
