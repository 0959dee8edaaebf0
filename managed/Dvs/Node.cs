using Dvs.Interop;
using Dvs.Ipc;
using Dvs.Layout;

namespace Dvs;

/// <summary>
/// A process's attachment to its node: maps the node segment created by the node host and binds
/// endpoints in the node's DCs. Thread-safe. Disposing it does not unmap memory that a live
/// <see cref="Endpoint"/> still uses.
/// </summary>
public sealed unsafe class Node : IDisposable
{
    private readonly NodeSegment _segment;
    private readonly int _pid;
    private readonly ulong _startTime;

    internal Node(NodeSegment segment, WaitStrategy? wait)
    {
        _segment = segment;
        Wait = wait ?? WaitStrategy.Default;
        _pid = Shim.GetPid();
        _startTime = Shim.PidStartTime(_pid);
    }

    /// <summary>Attaches to the node named <paramref name="nodeName"/> on this machine.</summary>
    /// <exception cref="DvsException">No such node, or its segment has another layout version.</exception>
    public static Node Attach(string nodeName, WaitStrategy? wait = null) => new(NodeSegment.Open(nodeName), wait);

    public string Name => _segment.NodeName;
    public int NodeId => _segment.Header->NodeId;
    public ulong Incarnation => _segment.Header->Incarnation;
    /// <summary>The wait strategy endpoints bound through this node use unless told otherwise.</summary>
    public WaitStrategy Wait { get; }

    internal NodeSegment Segment => _segment;

    /// <summary>Binds <paramref name="endpoint"/> in DC <paramref name="dcid"/> to the calling process (SELF_BIND).</summary>
    /// <exception cref="DvsException">The DC, slot or endpoint is wrong or the slot is in use.</exception>
    public Endpoint Bind(int dcid, int endpoint, string? name = null, WaitStrategy? wait = null)
    {
        DvsError error = TryBind(dcid, endpoint, out Endpoint? bound, name, wait);
        return error == DvsError.Ok ? bound! : throw new DvsException(error, $"bind endpoint {endpoint} in DC {dcid} on node '{Name}'");
    }

    /// <summary>Binds like <see cref="Bind"/>, returning an error code instead of throwing.</summary>
    public DvsError TryBind(int dcid, int endpoint, out Endpoint? bound, string? name = null, WaitStrategy? wait = null)
    {
        bound = null;
        DvsError error = BindSlot(dcid, endpoint, _pid, _startTime, name, out DcView dc, out int index);
        if (error == DvsError.Ok)
        {
            bound = new Endpoint(this, dc, index, endpoint, _pid, wait ?? Wait);
        }
        return error;
    }

    /// <summary>
    /// Binds <paramref name="endpoint"/> to another local process (LCL_BIND); that process takes it
    /// with <see cref="WaitForBind"/>.
    /// </summary>
    public DvsError BindProcess(int dcid, int endpoint, int pid, string? name = null)
    {
        ulong start = Shim.PidStartTime(pid);
        if (start == 0 || Shim.PidAlive(pid, start) != 1)
        {
            return DvsError.BadPid;
        }
        return BindSlot(dcid, endpoint, pid, start, name, out _, out _);
    }

    /// <summary>Waits until <paramref name="endpoint"/> is bound to this process by another (wait4bind), then opens it.</summary>
    public DvsError WaitForBind(int dcid, int endpoint, DvsTimeout timeout, out Endpoint? bound, WaitStrategy? wait = null)
    {
        bound = null;
        DvsError error = Locate(dcid, endpoint, out DcView dc, out int index);
        if (error != DvsError.Ok)
        {
            return error;
        }
        EndpointSlot* slot = dc.Slot(index);
        var condition = new BoundTo(this, slot, endpoint, _pid);
        error = Waiter.Wait(ref condition, &slot->WakeSeq, &slot->Sleeping, &slot->WakePending, wait ?? Wait, Waiter.Deadline(timeout));
        if (error == DvsError.Ok)
        {
            bound = new Endpoint(this, dc, index, endpoint, _pid, wait ?? Wait);
        }
        return error;
    }

    /// <summary>
    /// Waits until <paramref name="endpoint"/>, bound on another node, is known here (its node's
    /// announcement arrived), so a first call to it cannot race the announcement.
    /// </summary>
    public DvsError WaitForRemote(int dcid, int endpoint, DvsTimeout timeout)
    {
        DvsError error = Locate(dcid, endpoint, out DcView dc, out int index);
        if (error != DvsError.Ok)
        {
            return error;
        }
        EndpointSlot* slot = dc.Slot(index);
        var condition = new RemoteKnown(this, slot, endpoint);
        return Waiter.Wait(ref condition, &slot->WakeSeq, &slot->Sleeping, &slot->WakePending, WaitStrategy.Blocking, Waiter.Deadline(timeout));
    }

    /// <summary>One of the node host's counters (drops, frames, retransmissions...).</summary>
    public long GetCounter(NodeCounter counter)
    {
        if ((uint)counter >= SegmentLayout.Counters)
        {
            throw new ArgumentOutOfRangeException(nameof(counter));
        }
        var counters = (ulong*)(_segment.Base + _segment.Header->CountersOffset);
        return (long)Volatile.Read(ref counters[(int)counter]);
    }

    /// <summary>What this node knows of node <paramref name="nodeId"/>: "up", "down", "unknown" or "self".</summary>
    public string GetPeerState(int nodeId)
    {
        if ((uint)nodeId >= SegmentLayout.MaxNodes)
        {
            return "unknown";
        }
        var nodes = (NodeEntry*)(_segment.Base + _segment.Header->NodesOffset);
        return Volatile.Read(ref nodes[nodeId].State) switch
        {
            SegmentLayout.NodeUp => "up",
            SegmentLayout.NodeDown => "down",
            SegmentLayout.NodeSelf => "self",
            _ => "unknown",
        };
    }

    /// <summary>Unbinds an endpoint of this node whoever owns it (an administrative unbind).</summary>
    public DvsError Unbind(int dcid, int endpoint)
    {
        DvsError error = Locate(dcid, endpoint, out DcView dc, out int index);
        if (error != DvsError.Ok)
        {
            return error;
        }
        EndpointSlot* slot = dc.Slot(index);
        if (Volatile.Read(ref slot->State) == SegmentLayout.SlotFree || slot->Endpoint != endpoint)
        {
            return DvsError.NotBind;
        }
        return SlotReclaimer.Reclaim(dc, index, endpoint, slot->OwnerPid) ? DvsError.Ok : DvsError.NotBind;
    }

    /// <summary>A snapshot of one slot, for tools and tests (not for the hot path).</summary>
    public EndpointInfo? GetEndpointInfo(int dcid, int endpoint)
    {
        if (_segment.TryGetDc(dcid, out DcView dc) != DvsError.Ok)
        {
            return null;
        }
        int index = dc.SlotIndexOf(endpoint);
        return index < 0 ? null : EndpointInfo.Read(dc, index);
    }

    /// <summary>All bound slots of a DC, for tools.</summary>
    public IReadOnlyList<EndpointInfo> ListEndpoints(int dcid)
    {
        var list = new List<EndpointInfo>();
        if (_segment.TryGetDc(dcid, out DcView dc) == DvsError.Ok)
        {
            for (int i = 0; i < dc.NrSlots; i++)
            {
                if (Volatile.Read(ref dc.Slot(i)->State) != SegmentLayout.SlotFree)
                {
                    list.Add(EndpointInfo.Read(dc, i));
                }
            }
        }
        return list;
    }

    internal DvsError BindSlot(int dcid, int endpoint, int pid, ulong startTime, string? name, out DcView dc, out int index)
    {
        index = -1;
        DvsError error = _segment.TryGetDc(dcid, out dc);
        if (error != DvsError.Ok)
        {
            return error;
        }
        index = dc.SlotIndexOf(endpoint);
        if (index < 0)
        {
            return DvsError.BadProc;
        }
        EndpointSlot* slot = dc.Slot(index);
        while (true)
        {
            uint state = Volatile.Read(ref slot->State);
            if (state == SegmentLayout.SlotFree)
            {
                if (Interlocked.CompareExchange(ref slot->State, SegmentLayout.SlotBinding, state) == state)
                {
                    break;
                }
                continue;
            }
            if (state == SegmentLayout.SlotRemote)
            {
                // Another node owns this endpoint: binding it here too would split the DC.
                return DvsError.RmtProc;
            }
            if ((state == SegmentLayout.SlotLocal || state == SegmentLayout.SlotBinding) && !Liveness.OwnerAlive(slot))
            {
                // The previous owner died without unbinding: take the slot over.
                SlotReclaimer.Reclaim(dc, index, slot->Endpoint, slot->OwnerPid);
                continue;
            }
            return DvsError.SlotUsed;
        }
        Publish(dc, index, endpoint, pid, startTime, epoch: 0, name ?? $"ep{endpoint}");
        return DvsError.Ok;
    }

    /// <summary>The DC view and slot index of an endpoint: BadDcId / DcNotRun / BadProc when there is none.</summary>
    private DvsError Locate(int dcid, int endpoint, out DcView dc, out int index)
    {
        index = -1;
        DvsError error = _segment.TryGetDc(dcid, out dc);
        if (error != DvsError.Ok)
        {
            return error;
        }
        index = dc.SlotIndexOf(endpoint);
        return index < 0 ? DvsError.BadProc : DvsError.Ok;
    }

    /// <summary>Fills a slot held in BINDING for its new local owner, then makes it LOCAL and tells who waits.</summary>
    private void Publish(in DcView dc, int index, int endpoint, int pid, ulong startTime, uint epoch, string name, uint flags = 0)
    {
        EndpointSlot* slot = dc.Slot(index);
        slot->OwnerPid = pid;
        slot->OwnerStartTime = startTime;
        slot->OwnerNode = _segment.Header->NodeId;
        slot->Endpoint = endpoint;
        slot->Epoch = epoch;
        slot->Flags = flags;
        slot->Sent = 0;
        slot->Received = 0;
        slot->Replies = 0;
        slot->BindCount++;
        WriteName(slot, name);
        SlotReclaimer.Clear(dc, index);
        Interlocked.Exchange(ref slot->State, SegmentLayout.SlotLocal);
        Doorbell.Ring(slot);
        dc.DirectoryChanged();
    }

    /// <summary>
    /// The target side of a migration commit: binds <paramref name="endpoint"/> here (it was remote
    /// or free) to this process with the new epoch.
    /// </summary>
    internal DvsError CommitBind(int dcid, int endpoint, uint epoch, out Endpoint? bound) =>
        CommitBind(dcid, endpoint, epoch, _pid, _startTime, createEndpoint: true, out bound);

    /// <summary>As above, with <paramref name="flags"/> set on the slot before it turns local (a sender never sees it local without them).</summary>
    internal DvsError CommitBind(int dcid, int endpoint, uint epoch, Layout.SlotFlags flags, out Endpoint? bound) =>
        CommitBind(dcid, endpoint, epoch, _pid, _startTime, createEndpoint: true, out bound, flags);

    /// <summary>As above, for another local process (a standby that restores the service itself).</summary>
    internal DvsError CommitBind(int dcid, int endpoint, uint epoch, int pid, ulong startTime, bool createEndpoint, out Endpoint? bound,
        Layout.SlotFlags flags = Layout.SlotFlags.None)
    {
        bound = null;
        DvsError error = Locate(dcid, endpoint, out DcView dc, out int index);
        if (error != DvsError.Ok)
        {
            return error;
        }
        EndpointSlot* slot = dc.Slot(index);
        uint state = Volatile.Read(ref slot->State);
        if ((state != SegmentLayout.SlotRemote && state != SegmentLayout.SlotFree) ||
            Interlocked.CompareExchange(ref slot->State, SegmentLayout.SlotBinding, state) != state)
        {
            return DvsError.SlotUsed;
        }
        Publish(dc, index, endpoint, pid, startTime, epoch, $"ep{endpoint}", (uint)flags);
        if (createEndpoint)
        {
            bound = new Endpoint(this, dc, index, endpoint, _pid, Wait);
        }
        return DvsError.Ok;
    }

    private static void WriteName(EndpointSlot* slot, string name)
    {
        var span = new Span<byte>(slot->Name, 16);
        span.Clear();
        System.Text.Encoding.UTF8.GetBytes(name.AsSpan(0, Math.Min(name.Length, 15)), span[..15]);
    }

    public void Dispose() => _segment.Dispose();

    /// <summary>Ok while this node's host (and, if <paramref name="needsProxy"/>, its proxy) serves; slow: for the waits' checks.</summary>
    private DvsError HostError(bool needsProxy) => Liveness.HostError(_segment, _pid, needsProxy);

    private readonly struct RemoteKnown : IWaitCondition
    {
        private readonly Node _node;
        private readonly EndpointSlot* _slot;
        private readonly int _endpoint;

        public RemoteKnown(Node node, EndpointSlot* slot, int endpoint)
        {
            _node = node;
            _slot = slot;
            _endpoint = endpoint;
        }

        public int Poll() =>
            Volatile.Read(ref _slot->State) == SegmentLayout.SlotRemote && _slot->Endpoint == _endpoint ? 1 : 0;

        public DvsError CheckPeer() => _node.HostError(needsProxy: true);
    }

    private readonly struct BoundTo : IWaitCondition
    {
        private readonly Node _node;
        private readonly EndpointSlot* _slot;
        private readonly int _endpoint;
        private readonly int _pid;

        public BoundTo(Node node, EndpointSlot* slot, int endpoint, int pid)
        {
            _node = node;
            _slot = slot;
            _endpoint = endpoint;
            _pid = pid;
        }

        public int Poll() =>
            Volatile.Read(ref _slot->State) == SegmentLayout.SlotLocal && _slot->Endpoint == _endpoint && _slot->OwnerPid == _pid ? 1 : 0;

        public DvsError CheckPeer() => _node.HostError(needsProxy: false);
    }
}
