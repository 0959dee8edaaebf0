using System.Runtime.CompilerServices;
using Dvs.Ipc;
using Dvs.Layout;

namespace Dvs.Endpoints;

/// <summary>
/// What the caller and the receiver of one bound endpoint share: its identity (slot, number,
/// incarnation, privileges), the checks of itself and of a peer, and the offer of a message into
/// a ring (a destination's inbound ring, or the outbound ring when it is remote). Immutable but
/// for <see cref="Canceled"/>; not thread-safe beyond what <see cref="Endpoint"/> says.
/// </summary>
internal sealed unsafe class EndpointBinding
{
    public readonly Node Node;
    public readonly DcView Dc;
    public readonly EndpointSlot* Self;
    public readonly EndpointLifetime Lifetime;
    public readonly int Index;
    public readonly int Number;
    public readonly int Pid;
    public readonly bool Privileged;
    public readonly WaitStrategy Wait;
    /// <summary>This binding's incarnation (node incarnation and bind count): requests carry it.</summary>
    public readonly ulong Incarnation;
    public readonly uint BindCount;
    private readonly SegmentHeader* _header;

    /// <summary>
    /// Set by a cancelled token while the async pump waits (written only by Endpoint's cancel
    /// callback); the wait conditions look at it only when nothing has arrived (never on the path
    /// of a message) and end the wait with Canceled.
    /// </summary>
    public volatile bool Canceled;

    /// <summary>The binding of slot <paramref name="index"/> of <paramref name="dc"/> as endpoint <paramref name="number"/> by process <paramref name="pid"/>.</summary>
    /// <param name="node">The node it was bound through.</param>
    /// <param name="dc">Its DC.</param>
    /// <param name="index">Its slot.</param>
    /// <param name="number">Its endpoint number.</param>
    /// <param name="pid">The owner process.</param>
    /// <param name="wait">How it waits.</param>
    public EndpointBinding(Node node, in DcView dc, int index, int number, int pid, WaitStrategy wait)
    {
        Lifetime = new EndpointLifetime(node.Segment.Mapping);
        Node = node;
        Dc = dc;
        Index = index;
        Self = dc.Slot(index);
        _header = node.Segment.Header;
        Pid = pid;
        Privileged = index < dc.NrSysProcs;
        Wait = wait;
        BindCount = Self->BindCount;
        Incarnation = ClientIncarnation.Make(node.Incarnation, BindCount);
        Number = number;
    }

    /// <summary>Ok while this binding holds its slot and its host serves; the error of a call that cannot proceed otherwise.</summary>
    /// <param name="privilegedOnly">The call is allowed to privileged slots only.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public DvsError CheckSelf(bool privilegedOnly)
    {
        uint state = Volatile.Read(ref Self->State);
        if (Lifetime.IsReleased || Self->Endpoint != Number ||
            (state != SegmentLayout.SlotLocal && state != SegmentLayout.SlotMigrating) || Self->OwnerPid != Pid)
        {
            return DvsError.NotBind;
        }
        if (Volatile.Read(ref _header->State) != SegmentLayout.SegmentReady)
        {
            return HostError(needsProxy: false);    // the host stopped, or a process found it dead
        }
        return privilegedOnly && !Privileged ? DvsError.CallDenied : DvsError.Ok;
    }

    /// <summary>Finds the slot of a bound destination: local, or remote on a node that is up.</summary>
    /// <param name="destination">The endpoint number.</param>
    /// <param name="index">Its slot.</param>
    /// <param name="remote">True when it lives on another node.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public DvsError Resolve(int destination, out int index, out bool remote)
    {
        remote = false;
        index = Dc.SlotIndexOf(destination);
        if (index < 0)
        {
            return DvsError.BadProc;
        }
        EndpointSlot* slot = Dc.Slot(index);
        uint state = Volatile.Read(ref slot->State);
        if (state == SegmentLayout.SlotLocal && slot->Endpoint == destination && (slot->Flags & (uint)SlotFlags.Fenced) == 0)
        {
            return DvsError.Ok;
        }
        return ResolveSlow(state, slot, destination, ref remote);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private DvsError ResolveSlow(uint state, EndpointSlot* slot, int destination, ref bool remote)
    {
        if (state == SegmentLayout.SlotBinding)
        {
            // A bind under way takes microseconds (a migrated endpoint binding on its new node,
            // whose local senders sent through the node host until now): a Send must not fail for it.
            long until = System.Diagnostics.Stopwatch.GetTimestamp() + System.Diagnostics.Stopwatch.Frequency / 1000;
            var spin = new SpinWait();
            while ((state = Volatile.Read(ref slot->State)) == SegmentLayout.SlotBinding &&
                   System.Diagnostics.Stopwatch.GetTimestamp() < until)
            {
                spin.SpinOnce();
            }
        }
        if (state == SegmentLayout.SlotLocal && slot->Endpoint == destination)
        {
            if ((Volatile.Read(ref slot->Flags) & (uint)SlotFlags.Fenced) != 0)
            {
                WaitOutFence(slot);
            }
            return DvsError.Ok;
        }
        if (state == SegmentLayout.SlotFree || state == SegmentLayout.SlotBinding)
        {
            return DvsError.NotBind;
        }
        if (slot->Endpoint != destination)
        {
            return DvsError.Endpoint;
        }
        if (state == SegmentLayout.SlotRemote)
        {
            if (Volatile.Read(ref _header->ProxyPid) == SegmentLayout.ProxyFailed)
            {
                return DvsError.NoProxy;    // nothing would carry it
            }
            int node = slot->OwnerNode;
            if ((uint)node >= SegmentLayout.MaxNodes || Volatile.Read(ref Dc.Nodes[node].State) != SegmentLayout.NodeUp)
            {
                return DvsError.NotConnected;
            }
            remote = true;
            return DvsError.Ok;
        }
        // Migrating: the owner is paused and its ring holds new messages in arrival order; they
        // move with the endpoint (or are served here again on rollback).
        return state == SegmentLayout.SlotMigrating ? DvsError.Ok : DvsError.ProcSts;
    }

    /// <summary>
    /// The destination was just migrated here and this node's earlier messages to it are still
    /// coming back through its old owner: wait until the node host says they are in (it clears
    /// the flag; docs/protocol.md, "The fence"). Bounded: past it the message goes in unfenced.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void WaitOutFence(EndpointSlot* slot)
    {
        long until = System.Diagnostics.Stopwatch.GetTimestamp() + 10 * System.Diagnostics.Stopwatch.Frequency;
        var spin = new SpinWait();
        while ((Volatile.Read(ref slot->Flags) & (uint)SlotFlags.Fenced) != 0 && System.Diagnostics.Stopwatch.GetTimestamp() < until)
        {
            spin.SpinOnce();
        }
    }

    /// <summary>The owner process of <paramref name="endpoint"/> (0 when remote).</summary>
    /// <param name="endpoint">The endpoint number.</param>
    /// <param name="pid">Its owner's pid.</param>
    /// <param name="remote">True when it lives on another node.</param>
    public DvsError OwnerOf(int endpoint, out int pid, out bool remote)
    {
        pid = 0;
        remote = false;
        if (endpoint == Number)
        {
            pid = Pid;
            return DvsError.Ok;
        }
        DvsError error = Resolve(endpoint, out int index, out remote);
        if (error == DvsError.Ok && !remote)
        {
            pid = Dc.Slot(index)->OwnerPid;
        }
        return error;
    }

    /// <summary>Whether this node's host (and, if <paramref name="needsProxy"/>, its proxy) still serves; slow: checks only.</summary>
    /// <param name="needsProxy">The call needs the node host's proxy (a remote peer).</param>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public DvsError HostError(bool needsProxy) => Liveness.HostError(Node.Segment, Pid, needsProxy);

    /// <summary>Checks that <paramref name="endpoint"/> still holds its slot with a live owner.</summary>
    /// <param name="index">Its slot.</param>
    /// <param name="endpoint">The endpoint number.</param>
    /// <param name="died">The error when it is gone.</param>
    public DvsError PeerState(int index, int endpoint, DvsError died)
    {
        EndpointSlot* slot = Dc.Slot(index);
        uint state = Volatile.Read(ref slot->State);
        if (state == SegmentLayout.SlotFree || slot->Endpoint != endpoint)
        {
            return died;
        }
        if (state == SegmentLayout.SlotLocal && !Liveness.OwnerAlive(slot))
        {
            SlotReclaimer.Reclaim(Dc, index, endpoint, slot->OwnerPid);
            return died;
        }
        if (state == SegmentLayout.SlotRemote)
        {
            int node = slot->OwnerNode;
            if ((uint)node >= SegmentLayout.MaxNodes || Volatile.Read(ref Dc.Nodes[node].State) != SegmentLayout.NodeUp)
            {
                return DvsError.NotConnected;
            }
        }
        return DvsError.Ok;
    }

    /// <summary>True when the node of remote slot <paramref name="index"/> is the incarnation that sent <paramref name="client"/>'s request.</summary>
    /// <param name="index">The client's slot.</param>
    /// <param name="client">The client's incarnation, as its request carried it.</param>
    public bool SameNodeIncarnation(int index, ulong client)
    {
        int node = Dc.Slot(index)->OwnerNode;
        return (uint)node < SegmentLayout.MaxNodes &&
               ClientIncarnation.NodePart(client) == (uint)Volatile.Read(ref Dc.Nodes[node].Incarnation);
    }

    // ---------------------------------------------------------------- waiting

    /// <summary>This endpoint's strategy without its spin, for what is a node-host hop away (unless told to spin always).</summary>
    public WaitStrategy WithoutSpin => Wait.NeverSleep || Wait.SpinDuration == TimeSpan.Zero ? Wait : RemoteWait;

    private static readonly WaitStrategy RemoteWait = new() { SpinDuration = TimeSpan.Zero, YieldCount = 2 };

    // ---------------------------------------------------------------- offering

    /// <summary>
    /// One attempt: into the destination's ring, or the proxy's outbound ring (routed) when it is
    /// remote; true when queued. A routed message names a bind count: this endpoint's for what it
    /// sends, the caller's for a reply (its node hands the reply only to that binding).
    /// </summary>
    /// <param name="index">The destination's slot.</param>
    /// <param name="destination">Its endpoint number.</param>
    /// <param name="remote">It lives on another node.</param>
    /// <param name="message">The message (Source stamped).</param>
    /// <param name="meta">The cell's meta word.</param>
    /// <param name="routeBindCount">The bind count a routed message names.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryOffer(int index, int destination, bool remote, Message* message, int meta, uint routeBindCount) => remote
        ? Dc.Outbound.TryOffer(message, meta, Dc.Route(destination, routeBindCount))
        : Dc.InboundRing(index).TryOffer(message, meta, Incarnation);

    /// <summary>Offers, waiting for ring space until <paramref name="deadline"/> unless <paramref name="noWait"/>.</summary>
    /// <param name="index">The destination's slot.</param>
    /// <param name="destination">Its endpoint number.</param>
    /// <param name="remote">It lives on another node.</param>
    /// <param name="message">The message (Source stamped).</param>
    /// <param name="meta">The cell's meta word.</param>
    /// <param name="routeBindCount">The bind count a routed message names.</param>
    /// <param name="deadline">Stopwatch ticks.</param>
    /// <param name="noWait">Fail with Again rather than wait.</param>
    public DvsError Offer(int index, int destination, bool remote, Message* message, int meta, uint routeBindCount, long deadline, bool noWait)
    {
        if (!TryOffer(index, destination, remote, message, meta, routeBindCount))
        {
            if (noWait)
            {
                return DvsError.Again;
            }
            EndpointRing ring = remote ? Dc.Outbound : Dc.InboundRing(index);
            var space = new RingSpace(this, index, destination, remote, message, meta, routeBindCount);
            // The node proxy frees the outbound ring in batches and wakes us when it is half empty:
            // spinning for it only takes the CPU it may need to do so (as for remote replies).
            WaitStrategy wait = remote && !Wait.NeverSleep ? RemoteWait : Wait;
            DvsError error = ring.WaitForSpace(ref space, wait, deadline);
            if (error == DvsError.Migrate && !remote)
            {
                return Offer(index, destination, remote: true, message, meta, routeBindCount, deadline, noWait);
            }
            if (error != DvsError.Ok)
            {
                return error;
            }
        }
        Self->Sent++;
        return DvsError.Ok;
    }

    private readonly struct RingSpace : IWaitCondition
    {
        private readonly EndpointBinding _owner;
        private readonly int _index;
        private readonly int _destination;
        private readonly bool _remote;
        private readonly Message* _message;
        private readonly int _meta;
        private readonly uint _routeBindCount;

        public RingSpace(EndpointBinding owner, int index, int destination, bool remote, Message* message, int meta, uint routeBindCount)
        {
            _routeBindCount = routeBindCount;
            _owner = owner;
            _index = index;
            _destination = destination;
            _remote = remote;
            _message = message;
            _meta = meta;
        }

        public int Poll()
        {
            ref readonly DcView dc = ref _owner.Dc;
            EndpointSlot* slot = dc.Slot(_index);
            uint state = Volatile.Read(ref slot->State);
            bool deliverable = _remote ? state == SegmentLayout.SlotRemote
                : state is SegmentLayout.SlotLocal or SegmentLayout.SlotMigrating;
            if (!deliverable || slot->Endpoint != _destination)
            {
                // A one-way Send that waited for room in a migrating endpoint's ring: the endpoint
                // moved (handover) and the Send follows it through the node host, behind the
                // messages the ring held (they were forwarded first). A SendRec replays instead.
                return !_remote && state == SegmentLayout.SlotRemote && slot->Endpoint == _destination &&
                       RingMeta.Kind(_meta) == SegmentLayout.KindSend
                    ? (int)DvsError.Migrate
                    : (int)DvsError.DstDied;
            }
            if (_owner.TryOffer(_index, _destination, _remote, _message, _meta, _routeBindCount))
            {
                return 1;
            }
            return _owner.Canceled ? (int)DvsError.Canceled : 0;   // not queued: nothing was sent
        }

        public DvsError CheckPeer()
        {
            DvsError host = _owner.HostError(needsProxy: _remote);
            return host != DvsError.Ok ? host : _owner.PeerState(_index, _destination, DvsError.DstDied);
        }
    }
}
