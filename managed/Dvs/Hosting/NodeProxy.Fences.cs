using System.Collections.Concurrent;
using Dvs.Ipc;
using Dvs.Layout;
using Dvs.Transport;
using Microsoft.Extensions.Logging;

namespace Dvs.Hosting;

/// <summary>
/// Per-sender order of one-way messages across a migration commit (docs/protocol.md, "The fence").
/// A node P that learns that an endpoint moved from X to T sent its older messages to X, which
/// forwards them to T, and now sends to T directly: two paths. So P sends FENCE to X behind
/// everything it sent X (the same ordered link), X forwards it like a message (behind P's forwarded
/// ones), and T holds what P sends directly until P's FENCE arrives. T expects a FENCE from every
/// peer of the DC that was up when it bound the endpoint, and from itself (its own local senders
/// went through X until the bind); a peer that knew no owner sends its FENCE straight to T. A wait
/// ends when every FENCE came, or for a peer when it goes down or restarts (nothing more comes from
/// it), or wholly when X does (nothing more comes through it) or after the peer-down time (counted:
/// the order is not guaranteed then, no message is lost).
/// </summary>
internal sealed unsafe partial class NodeProxy
{
    /// <summary>Messages held for one endpoint's fences before the sending sessions are held back.</summary>
    private const int FenceHoldLimit = 65_536;

    // Owner changes seen by the inbound thread (ApplyBind) and binds of migrated endpoints: the
    // outbound thread sends their FENCEs, so that each one leaves behind every message it routed
    // to the old owner before (it routes by the slot the inbound thread just changed).
    private readonly ConcurrentQueue<(int DcId, int Endpoint, int Via, uint Epoch)> _fencesToSend = new();
    // The endpoints bound here by a migration that wait for fences (under _fenceLock).
    private readonly List<FenceWait> _fenceWaits = new();
    private readonly Lock _fenceLock = new();
    private volatile int _fenceWaitCount;
    // Endpoints whose local senders may go direct again once nothing waits in their overflow (under _fenceLock).
    private readonly List<(int DcId, int Index)> _fencedSlots = new();

    /// <summary>One migrated endpoint's wait: which origins' FENCEs are still due, and what each sent directly meanwhile.</summary>
    private sealed class FenceWait
    {
        public required int DcId;
        public required int Index;
        public required int Endpoint;
        /// <summary>The old owner: the path the FENCEs come through.</summary>
        public required int Via;
        public required uint Epoch;
        public required long Deadline;
        /// <summary>Bit per origin node whose FENCE is due.</summary>
        public ulong Due;
        public readonly Queue<HeldMessage>?[] Held = new Queue<HeldMessage>?[SegmentLayout.MaxNodes];
        public int HeldCount;
    }

    /// <summary>
    /// Target side, at the bind of a migrated endpoint (before its slot turns local): wait for a
    /// FENCE from every peer of the DC that is up but <paramref name="via"/>, and from this node
    /// (its own goes through <paramref name="via"/> once the slot is local: FenceOwnerChange).
    /// </summary>
    private void AwaitFences(int dcid, int endpoint, int via, uint epoch)
    {
        if (_dcs[dcid] is not DcView dc)
        {
            return;
        }
        int index = dc.SlotIndexOf(endpoint);
        ulong due = 1UL << _nodeId;
        foreach (int peer in _peerIds)
        {
            if (peer != via && (dc.Descriptor->Nodes & (1UL << peer)) != 0 && Volatile.Read(ref _nodes[peer].State) == SegmentLayout.NodeUp)
            {
                due |= 1UL << peer;
            }
        }
        lock (_fenceLock)
        {
            _fenceWaits.RemoveAll(w => w.DcId == dcid && w.Index == index);
            _fenceWaits.Add(new FenceWait
            {
                DcId = dcid, Index = index, Endpoint = endpoint, Via = via, Epoch = epoch, Due = due,
                Deadline = _clock.NowTicks + _options.PeerDownAfter.Ticks,
            });
            _fenceWaitCount = _fenceWaits.Count;
        }
    }

    /// <summary>
    /// The migrated endpoint is bound (its slot local, flag Fenced): this node's own FENCE goes to
    /// the old owner, behind every local message routed there before. Not bound: no wait.
    /// </summary>
    private void FencedBindDone(int dcid, int endpoint, int via, uint epoch, bool bound)
    {
        if (bound)
        {
            FenceOwnerChange(dcid, endpoint, via, _nodeId, epoch);
        }
        else if (_dcs[dcid] is DcView dc)
        {
            EndFenceWaits(dcid, dc.SlotIndexOf(endpoint));
        }
    }

    /// <summary>
    /// A one-way message or request from <paramref name="origin"/> for a local endpoint: held
    /// (true) while its FENCE is due. <paramref name="accepted"/> false: the hold is full, the
    /// session holds the message back and retries (never with <paramref name="mustAccept"/>: this
    /// node's own messages, bounded by its outbound ring).
    /// </summary>
    private bool HoldForFence(int origin, int dcid, int index, in Message message, int meta, ulong incarnation, out bool accepted,
        bool mustAccept = false)
    {
        accepted = true;
        lock (_fenceLock)
        {
            foreach (FenceWait wait in _fenceWaits)
            {
                if (wait.DcId != dcid || wait.Index != index || (wait.Due & (1UL << origin)) == 0)
                {
                    continue;
                }
                if (wait.HeldCount >= FenceHoldLimit && !mustAccept)
                {
                    accepted = false;
                    return true;
                }
                (wait.Held[origin] ??= new Queue<HeldMessage>()).Enqueue(new HeldMessage(message, meta, incarnation));
                wait.HeldCount++;
                return true;
            }
        }
        return false;
    }

    /// <summary>
    /// A FENCE from a peer: this node owns the endpoint (release the origin's held messages), or is
    /// a stub of it (forward the FENCE behind what it forwarded). False: the forward waits (back-pressure).
    /// </summary>
    private bool DeliverFence(int fromPeer, in DcView dc, int index, in MessageHeader header, in Message m)
    {
        EndpointSlot* slot = dc.Slot(index);
        uint state = Volatile.Read(ref slot->State);
        int origin = (int)m[0];
        if (slot->Endpoint != header.Destination || (uint)origin >= SegmentLayout.MaxNodes)
        {
            Count(NodeCounter.DropOther);
            return true;
        }
        if (state == SegmentLayout.SlotRemote)
        {
            return Forward(fromPeer, header, in m, slot, index);
        }
        if (state is SegmentLayout.SlotLocal or SegmentLayout.SlotMigrating)
        {
            ReleaseFence(dc.DcId, index, origin, (uint)m[1]);
        }
        return true;
    }

    /// <summary>The FENCE of <paramref name="origin"/> (epoch <paramref name="epoch"/>) came: its held messages go in, in order.</summary>
    private void ReleaseFence(int dcid, int index, int origin, uint epoch)
    {
        lock (_fenceLock)
        {
            for (int i = _fenceWaits.Count - 1; i >= 0; i--)
            {
                FenceWait wait = _fenceWaits[i];
                if (wait.DcId == dcid && wait.Index == index && epoch >= wait.Epoch)
                {
                    Release(wait, origin);
                    if (wait.Due == 0)
                    {
                        _fenceWaits.RemoveAt(i);
                    }
                }
            }
            _fenceWaitCount = _fenceWaits.Count;
        }
    }

    /// <summary>Under _fenceLock: <paramref name="origin"/>'s held messages into the endpoint's ring (or its overflow), in order.</summary>
    private void Release(FenceWait wait, int origin)
    {
        if (origin == _nodeId && (wait.Due & (1UL << origin)) != 0)
        {
            _fencedSlots.Add((wait.DcId, wait.Index));   // the outbound thread clears the flag (ProcessFences)
            Doorbell.Wake(&_proxySlot->WakeSeq);
        }
        wait.Due &= ~(1UL << origin);
        if (wait.Held[origin] is not { } held || _dcs[wait.DcId] is not DcView dc)
        {
            return;
        }
        EndpointSlot* slot = dc.Slot(wait.Index);
        while (held.TryDequeue(out HeldMessage m))
        {
            DeliverOrQueue(dc, wait.Index, slot, m.Message, m.Meta, m.Incarnation, mustAccept: true);
            wait.HeldCount--;
        }
    }

    /// <summary>
    /// Outbound thread, before it routes anything in this pass: sends the FENCEs of owner changes,
    /// and ends waits whose path or origin went away, or that waited too long.
    /// </summary>
    private bool ProcessFences()
    {
        bool worked = false;
        while (_fencesToSend.TryDequeue(out var fence))
        {
            Message m = default;
            m[0] = _nodeId;
            m[1] = fence.Epoch;
            Post(fence.Via, new MessageHeader((ushort)fence.DcId, CallKind.Fence, fence.Endpoint, fence.Epoch, 0), m);
            worked = true;
        }
        if (_fenceWaitCount == 0 && _fencedSlots.Count == 0)
        {
            return worked;
        }
        long now = _clock.NowTicks;
        lock (_fenceLock)
        {
            worked |= ClearFencedFlags();
            for (int i = _fenceWaits.Count - 1; i >= 0; i--)
            {
                FenceWait wait = _fenceWaits[i];
                bool viaGone = Volatile.Read(ref _nodes[wait.Via].State) != SegmentLayout.NodeUp;
                for (int origin = 0; origin < SegmentLayout.MaxNodes; origin++)
                {
                    if ((wait.Due & (1UL << origin)) != 0 &&
                        (viaGone || now > wait.Deadline || (origin != _nodeId && Volatile.Read(ref _nodes[origin].State) != SegmentLayout.NodeUp)))
                    {
                        if (!viaGone && now > wait.Deadline)
                        {
                            Count(NodeCounter.FencesTimedOut);
                            _log.LogWarning("endpoint {Endpoint} of DC {Dc}: no FENCE from node {Origin} through node {Via} within the peer-down time; its messages are delivered unfenced",
                                wait.Endpoint, wait.DcId, origin, wait.Via);
                        }
                        Release(wait, origin);
                        worked = true;
                    }
                }
                if (wait.Due == 0)
                {
                    _fenceWaits.RemoveAt(i);
                }
            }
            _fenceWaitCount = _fenceWaits.Count;
        }
        return worked;
    }

    /// <summary>
    /// Under _fenceLock: this node's senders may write into a migrated endpoint's ring themselves
    /// again once its own FENCE is back and nothing waits for the ring in the overflow (their
    /// earlier messages, and what came the old way, are in the ring then).
    /// </summary>
    private bool ClearFencedFlags()
    {
        bool cleared = false;
        for (int i = _fencedSlots.Count - 1; i >= 0; i--)
        {
            (int dcid, int index) = _fencedSlots[i];
            if (_dcs[dcid] is not DcView dc)
            {
                _fencedSlots.RemoveAt(i);
                continue;
            }
            if (HasOverflow)
            {
                lock (_overflowLock)
                {
                    if (_overflow.TryGetValue((dcid << 16) | index, out Queue<HeldMessage>? waiting) && waiting.Count > 0)
                    {
                        continue;
                    }
                }
            }
            Interlocked.And(ref dc.Slot(index)->Flags, ~(uint)SlotFlags.Fenced);
            _fencedSlots.RemoveAt(i);
            cleared = true;
        }
        return cleared;
    }

    /// <summary>The endpoint leaves this node (a handover): what its waits hold goes into its ring first, to follow it.</summary>
    private void EndFenceWaits(int dcid, int index)
    {
        if (_fenceWaitCount == 0)
        {
            return;
        }
        lock (_fenceLock)
        {
            for (int i = _fenceWaits.Count - 1; i >= 0; i--)
            {
                FenceWait wait = _fenceWaits[i];
                if (wait.DcId == dcid && wait.Index == index)
                {
                    for (int origin = 0; origin < SegmentLayout.MaxNodes; origin++)
                    {
                        Release(wait, origin);
                    }
                    _fenceWaits.RemoveAt(i);
                }
            }
            _fenceWaitCount = _fenceWaits.Count;
        }
    }

    /// <summary>A local sender's message that reached the outbound ring while its destination was remote, now bound here.</summary>
    private void DeliverRoutedHere(in DcView dc, int index, EndpointSlot* slot, in Message message, int meta, ulong incarnation)
    {
        if (_fenceWaitCount == 0 || !HoldForFence(_nodeId, dc.DcId, index, in message, meta, incarnation, out _, mustAccept: true))
        {
            DeliverOrQueue(dc, index, slot, in message, meta, incarnation, mustAccept: true);
        }
        Count(NodeCounter.MessagesReceived);
    }

    /// <summary>A peer restarted: no FENCE of its earlier incarnation, nor one through it, comes any more.</summary>
    private void ReleaseFencesOf(int peer)
    {
        if (_fenceWaitCount == 0)
        {
            return;
        }
        lock (_fenceLock)
        {
            for (int i = _fenceWaits.Count - 1; i >= 0; i--)
            {
                FenceWait wait = _fenceWaits[i];
                for (int origin = 0; origin < SegmentLayout.MaxNodes; origin++)
                {
                    if (wait.Via == peer || origin == peer)
                    {
                        Release(wait, origin);
                    }
                }
                if (wait.Due == 0)
                {
                    _fenceWaits.RemoveAt(i);
                }
            }
            _fenceWaitCount = _fenceWaits.Count;
        }
    }

    /// <summary>
    /// A node of the DC learned that <paramref name="endpoint"/> moved from <paramref name="oldOwner"/>
    /// (-1: it knew no owner) to <paramref name="newOwner"/>: its FENCE goes to the old owner, behind
    /// what it sent there, or straight to the new one.
    /// </summary>
    private void FenceOwnerChange(int dcid, int endpoint, int oldOwner, int newOwner, uint epoch)
    {
        int via = (uint)oldOwner < SegmentLayout.MaxNodes && oldOwner != _nodeId ? oldOwner : newOwner;
        if (via == _nodeId || (uint)via >= SegmentLayout.MaxNodes || _links[via] is null)
        {
            return;
        }
        _fencesToSend.Enqueue((dcid, endpoint, via, epoch));
        Doorbell.Wake(&_proxySlot->WakeSeq);
    }
}
