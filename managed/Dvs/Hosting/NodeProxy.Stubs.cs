using Dvs.Hosting.Links;
using Dvs.Ipc;
using Dvs.Layout;
using Dvs.Transport;

namespace Dvs.Hosting;

/// <summary>
/// Forwarding stubs: an endpoint that moved away from this node keeps its slot here as REMOTE
/// (owner, epoch); what still reaches it (a peer that did not know yet, a local sender that saw
/// MIGRATING just before the handover) is forwarded to the owner in arrival order, and its sender
/// is told where the endpoint lives now.
/// </summary>
internal sealed unsafe partial class NodeProxy
{
    private readonly List<(int DcId, int Index, int Endpoint)> _stubs = new();
    // The proxy reads a stub's ring; once the endpoint is bound here again its owner does: never both.
    private readonly Lock _stubLock = new();
    private volatile int _stubCount;
    // During a handover (under _stubLock): the endpoint whose held messages are being moved, and
    // what the inbound thread forwarded for it meanwhile (it must follow them, not overtake them).
    private (int DcId, int Index) _handingOver = (-1, -1);
    private readonly List<(int Peer, MessageHeader Header, Message Message)> _lateForward = new();

    /// <summary>Forwards stragglers from the rings of endpoints that moved away from this node.</summary>
    private bool DrainStubs()
    {
        if (_stubCount == 0)
        {
            return false;
        }
        lock (_stubLock)
        {
            bool worked = false;
            for (int i = _stubs.Count - 1; i >= 0; i--)
            {
                (int dcid, int index, int endpoint) = _stubs[i];
                int forwarded = DrainStub(dcid, index, endpoint);
                if (forwarded < 0)
                {
                    _stubs.RemoveAt(i);   // bound here again (migrated back): its owner reads the ring
                    continue;
                }
                worked |= forwarded > 0;
            }
            _stubCount = _stubs.Count;
            return worked;
        }
    }

    /// <summary>
    /// A local message for <paramref name="index"/> leaves through the outbound ring: a message the
    /// same sender put into the stub's ring just before (it saw MIGRATING) must leave first.
    /// </summary>
    private void DrainStubBefore(int dcid, int index)
    {
        lock (_stubLock)
        {
            foreach ((int d, int i, int endpoint) in _stubs)
            {
                if (d == dcid && i == index)
                {
                    DrainStub(dcid, index, endpoint);
                    return;
                }
            }
        }
    }

    /// <summary>Under _stubLock: the messages forwarded, or -1 when the slot is no stub of <paramref name="endpoint"/> any more.</summary>
    private int DrainStub(int dcid, int index, int endpoint)
    {
        if (_dcs[dcid] is not DcView dc)
        {
            return 0;
        }
        EndpointSlot* slot = dc.Slot(index);
        if (Volatile.Read(ref slot->State) != SegmentLayout.SlotRemote || slot->Endpoint != endpoint)
        {
            return -1;
        }
        EndpointRing ring = dc.InboundRing(index);
        Message m;
        int meta;
        ulong incarnation;
        int forwarded = 0;
        int owner = slot->OwnerNode;
        PeerLink? link = (uint)owner < SegmentLayout.MaxNodes ? _links[owner] : null;
        // While the owner's outbox is full the rest waits in the ring (its senders were told the
        // messages were sent: refusing one would lose it); a later pass goes on.
        while ((link is null || !link.IsFull) && ring.TryPoll(&m, &meta, &incarnation))
        {
            forwarded++;
            PostAccepted(owner,
                new MessageHeader((ushort)dcid, (byte)RingMeta.Kind(meta), endpoint, slot->Epoch, (uint)RingMeta.RequestSequence(meta), incarnation), m);
            if (link is not null)
            {
                Count(NodeCounter.Forwarded);
            }
        }
        return forwarded;
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
            Post(peer, new MessageHeader((ushort)dc.DcId, CallKind.Bind, endpoint, epoch, 0), m);
        }
    }

    /// <summary>
    /// A message for an endpoint that moved away: forward it in order, redirect its sender. False
    /// while the new owner's outbox is full: the session it came from holds it and retries.
    /// </summary>
    private bool Forward(int fromPeer, in MessageHeader header, in Message m, EndpointSlot* slot, int index)
    {
        int owner = slot->OwnerNode;
        var forwarded = header;
        forwarded.Epoch = slot->Epoch;
        lock (_stubLock)
        {
            if (_handingOver == (header.DcId, index))
            {
                _lateForward.Add((owner, forwarded, m));   // behind what the handover moves
            }
            else if (!TryForward(owner, forwarded, m))
            {
                return false;
            }
        }
        if (header.Epoch < slot->Epoch && _dcs[header.DcId] is DcView dc)
        {
            Redirect(dc, header.Destination, owner, slot->Epoch, onlyTo: fromPeer);
        }
        Count(NodeCounter.Forwarded);
        return true;
    }
}
