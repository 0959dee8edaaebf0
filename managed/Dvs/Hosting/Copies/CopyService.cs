using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Concurrent;
using Dvs.Hosting.Links;
using Dvs.Interop;
using Dvs.Ipc;
using Dvs.Layout;
using Dvs.Transport;

namespace Dvs.Hosting.Copies;

/// <summary>
/// VCopy across nodes. The requester's node routes the request to the source's node, which reads
/// the source process's memory (process_vm_readv) straight into bulk frames (the destination
/// address, then as many bytes as a bulk frame holds: ~64 KiB on loopback, ~1.4 KB at MTU 1472)
/// sent in the ordered session to the destination's node; that node gathers contiguous pieces and
/// writes them into the destination process (process_vm_writev), and when the final "done"
/// arrives it reports completion to the requester, whose SendRec-style wait then returns.
/// A node writes copy data only for a copy it asked for, into the range asked for (issue 11.23):
/// a request whose destination is on another node goes there first (VCOPY-OPEN), and that node
/// records a grant (source node, DC, destination endpoint, sequence, address range) before it asks
/// the source's node for the data; data and "done" without a grant are dropped and counted.
/// </summary>
/// <remarks>
/// Owns every copy's state: the jobs served here and their frame ring (outbound thread), the
/// writers gathering data per peer (inbound thread, under that peer's session gate) and the grants
/// (locked). It reaches the rest of the node host only through <see cref="ICopyRoutes"/> (the
/// links' outboxes, the outbound path, reply delivery) and reads the DCs and links, which never
/// change once the proxy is built.
/// </remarks>
internal sealed unsafe class CopyService
{
    /// <summary>Copies into this node waiting for their data, at most (each a grant).</summary>
    private const int MaxCopyGrants = 4096;
    /// <summary>Bytes of copy data read ahead into bulk frames and not yet acknowledged, at most.</summary>
    private const int CopyRingBytes = 4 << 20;

    private readonly ICopyRoutes _routes;
    private readonly int _nodeId;
    private readonly DcView?[] _dcs;
    private readonly PeerLink?[] _links;
    private readonly NodeEntry* _nodes;
    private readonly ulong* _counters;
    private readonly ConcurrentQueue<CopyJob> _copyJobs = new();
    // Copies queued or being served; at most _copyJobLimit (past it a copy fails with Again).
    private int _copyJobCount;
    private readonly int _copyJobLimit;
    // The bulk frames of the copies served here (outbound thread).
    private readonly CopyFrameRing _frames = new(CopyRingBytes);
    private readonly CopyWriter?[] _writers = new CopyWriter?[SegmentLayout.MaxNodes];
    // The copies this node asked a peer to stream into it (issue 11.23).
    private readonly CopyGrants _grants = new(MaxCopyGrants);

    private long _copyPauseAt = long.MaxValue;

    /// <param name="routes">The node host's ways out: peers' outboxes, the outbound path, local replies.</param>
    /// <param name="nodeId">This node.</param>
    /// <param name="dcs">The node's DCs by id (read only).</param>
    /// <param name="links">The peers' links by node id (read only).</param>
    /// <param name="nodes">The segment's node table (whether a peer is up).</param>
    /// <param name="counters">The node's counters.</param>
    /// <param name="jobLimit">Copies queued or served here at most; past it a copy fails with Again.</param>
    public CopyService(ICopyRoutes routes, int nodeId, DcView?[] dcs, PeerLink?[] links, NodeEntry* nodes, ulong* counters, int jobLimit)
    {
        _routes = routes;
        _nodeId = nodeId;
        _dcs = dcs;
        _links = links;
        _nodes = nodes;
        _counters = counters;
        _copyJobLimit = jobLimit;
    }

    /// <summary>
    /// Tests: a copy served here stops sending once this many of its bytes are out, as if
    /// back-pressured, until the value is raised again; so a test can catch a copy in its middle
    /// without racing it. long.MaxValue (the default): no pause.
    /// </summary>
    internal long PauseAt
    {
        get => Volatile.Read(ref _copyPauseAt);
        set
        {
            Volatile.Write(ref _copyPauseAt, value);
            _routes.WakeSender();
        }
    }

    /// <summary>
    /// Whether a copy served here reads from or writes to the endpoint, or a peer is streaming one
    /// into it: a migration of the endpoint is refused (OnCopy) meanwhile. Any thread.
    /// </summary>
    public bool Involves(int dcid, int endpoint) =>
        _copyJobs.Any(j => j.DcId == dcid && (j.SourceEndpoint == endpoint || j.DestinationEndpoint == endpoint)) ||
        IsCopyDestination(dcid, endpoint);

    /// <summary>A peer restarted: a copy it was streaming into here will not finish, and its grants go.</summary>
    public void PeerRestarted(int peer)
    {
        _writers[peer]?.Reset();
        _grants.RemovePeer(peer);
    }

    private void Count(NodeCounter counter, long by = 1) => Interlocked.Add(ref *(long*)&_counters[(int)counter], by);

    /// <summary>A vcopy request from a local requester (outbound ring): serve it or pass it on.</summary>
    public void Route(in DcView dc, int sourceEndpoint, in Message request, int sequence)
    {
        var order = new VCopyOrder(request);
        int destination = order.Destination;
        int dstIndex = dc.SlotIndexOf(destination);
        EndpointSlot* dst = dstIndex < 0 ? null : dc.Slot(dstIndex);
        if (dst != null && dst->Endpoint == destination && Volatile.Read(ref dst->State) == SegmentLayout.SlotRemote &&
            (uint)dst->OwnerNode < SegmentLayout.MaxNodes && _links[dst->OwnerNode] is not null)
        {
            // The destination's node asks for the data itself (it accepts data only for copies it asked for).
            Message open = order.With(_nodeId, sourceEndpoint);
            _routes.SendFromRing(dst->OwnerNode,
                new MessageHeader((ushort)dc.DcId, CallKind.VCopyOpen, destination, dst->Epoch, (uint)sequence), in open);
            return;
        }
        int index = dc.SlotIndexOf(sourceEndpoint);
        EndpointSlot* slot = index < 0 ? null : dc.Slot(index);
        uint state = slot == null ? SegmentLayout.SlotFree : Volatile.Read(ref slot->State);
        if (slot != null && slot->Endpoint == sourceEndpoint && state == SegmentLayout.SlotLocal)
        {
            StartCopy(dc, sourceEndpoint, slot, order, sequence, _nodeId);
            return;
        }
        if (slot != null && slot->Endpoint == sourceEndpoint && state == SegmentLayout.SlotRemote &&
            (uint)slot->OwnerNode < SegmentLayout.MaxNodes && _links[slot->OwnerNode] is not null)
        {
            if (!_grants.TryAdd(slot->OwnerNode, dc.DcId, destination, (uint)sequence, order.DestinationAddress, order.Bytes))
            {
                CompleteLocally(dc, order.Requester, sourceEndpoint, sequence, DvsError.Again);
                return;
            }
            Message m = order.With(_nodeId);
            _routes.SendFromRing(slot->OwnerNode,
                new MessageHeader((ushort)dc.DcId, CallKind.VCopyRequest, sourceEndpoint, slot->Epoch, (uint)sequence), in m);
            return;
        }
        CompleteLocally(dc, order.Requester, sourceEndpoint, sequence, DvsError.DeadSrcDst);
    }

    /// <summary>Queues the serving of a copy whose source is bound here; past the bound it fails with Again.</summary>
    private void StartCopy(in DcView dc, int sourceEndpoint, EndpointSlot* source, in VCopyOrder order, int sequence, int requesterNode)
    {
        var job = new CopyJob
        {
            DcId = dc.DcId,
            SourceEndpoint = sourceEndpoint,
            SourcePid = source->OwnerPid,
            SourceAddress = order.SourceAddress,
            DestinationEndpoint = order.Destination,
            DestinationAddress = order.DestinationAddress,
            Bytes = order.Bytes,
            Requester = order.Requester,
            RequesterNode = requesterNode,
            Sequence = sequence,
        };
        if (Interlocked.Increment(ref _copyJobCount) > _copyJobLimit)
        {
            Interlocked.Decrement(ref _copyJobCount);
            Count(NodeCounter.DropQueueFull);
            Complete(dc, job, DvsError.Again);
            return;
        }
        Count(NodeCounter.CopiesInProgress);
        _copyJobs.Enqueue(job);
        _routes.WakeSender();
    }

    /// <summary>Advances the copies this node serves until a session's window fills; true if any work was done.</summary>
    public bool ProcessJobs()
    {
        bool worked = false;
        while (_copyJobs.TryPeek(out CopyJob? job))
        {
            if (!Advance(job))
            {
                return worked;  // back-pressured: resume on a later pass
            }
            _copyJobs.TryDequeue(out _);
            Interlocked.Decrement(ref _copyJobCount);
            Count(NodeCounter.CopiesInProgress, -1);
            worked = true;
        }
        return worked;
    }

    /// <summary>Moves one job forward; true when it is finished.</summary>
    private bool Advance(CopyJob job)
    {
        if (_dcs[job.DcId] is not DcView dc)
        {
            return true;
        }
        int dstIndex = dc.SlotIndexOf(job.DestinationEndpoint);
        EndpointSlot* dst = dstIndex < 0 ? null : dc.Slot(dstIndex);
        uint dstState = dst == null ? SegmentLayout.SlotFree : Volatile.Read(ref dst->State);
        if (dst == null || dst->Endpoint != job.DestinationEndpoint ||
            (dstState != SegmentLayout.SlotLocal && dstState != SegmentLayout.SlotRemote))
        {
            Complete(dc, job, DvsError.DeadSrcDst);
            return true;
        }
        if (dstState == SegmentLayout.SlotLocal)
        {
            // Both sides here: one kernel copy between the two processes.
            int rc = Shim.VCopy(job.SourcePid, (ulong)job.SourceAddress, dst->OwnerPid, (ulong)job.DestinationAddress, (ulong)job.Bytes);
            Complete(dc, job, rc == 0 ? DvsError.Ok : DvsError.Fault);
            return true;
        }
        if ((uint)dst->OwnerNode >= SegmentLayout.MaxNodes || _links[dst->OwnerNode] is not PeerLink link)
        {
            Complete(dc, job, DvsError.NotConnected);
            return true;
        }
        // A bulk job: it sends only while the link's outbox is empty (PeerLink), so its data and
        // its DONE keep their place behind what was queued for that peer before.
        ReliableSession session = link.Session;
        while (!job.DataDone)
        {
            if (job.Offset >= job.Bytes || job.Status != DvsError.Ok)
            {
                job.DataDone = true;
                break;
            }
            if (job.Offset >= Volatile.Read(ref _copyPauseAt))
            {
                return false;   // paused by a test (PauseAt)
            }
            if (!_frames.TryTake(session, out Memory<byte> frame))
            {
                return false;   // the slots still carry unacknowledged data: resume on a later pass
            }
            int want = (int)Math.Min(frame.Length - sizeof(long), job.Bytes - job.Offset);
            using (MemoryHandle pin = frame.Pin())
            {
                byte* data = (byte*)pin.Pointer;
                *(long*)data = job.DestinationAddress + job.Offset;
                if (Shim.VCopy(job.SourcePid, (ulong)(job.SourceAddress + job.Offset), Shim.GetPid(), (ulong)(data + sizeof(long)), (ulong)want) != 0)
                {
                    job.Status = DvsError.Fault;
                    job.DataDone = true;
                    break;
                }
            }
            var header = new MessageHeader((ushort)job.DcId, CallKind.VCopyData, job.DestinationEndpoint, 0, (uint)job.Sequence);
            SendStatus status;
            lock (session.Gate)
            {
                status = link.TrySendBulk(header, frame[..(sizeof(long) + want)]);
                if (status == SendStatus.Ok)
                {
                    _frames.Sent(session);
                }
            }
            if (status == SendStatus.BackPressured)
            {
                return false;   // read again next time: the offset did not move
            }
            if (status != SendStatus.Ok)
            {
                job.Status = DvsError.NotConnected;
                job.DataDone = true;
                break;
            }
            job.Offset += want;
        }
        // Done goes to the destination's node after the data (same ordered stream); it reports to the requester.
        Message done = VCopyOutcome.Done(job.Requester, job.RequesterNode, job.SourceEndpoint, job.Status);
        var doneHeader = new MessageHeader((ushort)job.DcId, CallKind.VCopyDone, job.DestinationEndpoint, 0, (uint)job.Sequence);
        SendStatus sent;
        lock (session.Gate)
        {
            sent = link.TrySendNow(doneHeader, done);
        }
        if (sent == SendStatus.BackPressured)
        {
            return false;
        }
        if (sent != SendStatus.Ok)
        {
            Complete(dc, job, DvsError.NotConnected);
        }
        return true;
    }

    /// <summary>Reports a finished copy served here to its requester (here or on its node).</summary>
    private void Complete(in DcView dc, CopyJob job, DvsError status)
    {
        if (job.RequesterNode == _nodeId)
        {
            CompleteLocally(dc, job.Requester, job.SourceEndpoint, job.Sequence, status);
            return;
        }
        Message m = VCopyOutcome.Complete(job.SourceEndpoint, status);
        _routes.Post(job.RequesterNode, new MessageHeader((ushort)job.DcId, CallKind.VCopyComplete, job.Requester, 0, (uint)job.Sequence), m);
    }

    private void CompleteLocally(in DcView dc, int requester, int sourceEndpoint, int sequence, DvsError status)
    {
        int index = dc.SlotIndexOf(requester);
        if (index < 0)
        {
            return;
        }
        Message m = VCopyOutcome.Complete(sourceEndpoint, status);
        _routes.DeliverReply(dc.Slot(index), in m, sequence, failed: status != DvsError.Ok);
    }

    /// <summary>The vcopy kinds arriving from a peer (under its session lock).</summary>
    public void Deliver(ReliableSession session, in DcView dc, in MessageHeader header, in Message m)
    {
        int index = dc.SlotIndexOf(header.Destination);
        EndpointSlot* slot = index < 0 ? null : dc.Slot(index);
        bool local = slot != null && slot->Endpoint == header.Destination && Volatile.Read(ref slot->State) == SegmentLayout.SlotLocal;
        CopyWriter writer = _writers[session.PeerNode] ??= new CopyWriter();
        switch (header.CallKind)
        {
            case CallKind.VCopyRequest:
                if (local)
                {
                    var order = new VCopyOrder(m);
                    StartCopy(dc, header.Destination, slot, order, (int)header.RequestSequence, order.RequesterNode);
                }
                else
                {
                    Message fail = VCopyOutcome.Complete(header.Destination, DvsError.DeadSrcDst);
                    _routes.Post(session.PeerNode, new MessageHeader(header.DcId, CallKind.VCopyComplete, m.Source, 0, header.RequestSequence), fail);
                }
                return;
            case CallKind.VCopyOpen:
                OpenCopy(session, dc, header, m, local);
                return;
            case CallKind.VCopyData:
                // Data comes as bulk frames (DeliverVCopyData); a message of this kind is malformed.
                Count(NodeCounter.DropMalformed);
                return;
            case CallKind.VCopyDone:
                if (!_grants.Remove(session.PeerNode, dc.DcId, header.Destination, header.RequestSequence))
                {
                    Count(NodeCounter.DropUnrequestedCopy);
                    return;
                }
                writer.Flush();
                DvsError status = VCopyOutcome.Status(m) != DvsError.Ok ? VCopyOutcome.Status(m) : writer.Status;
                writer.Status = DvsError.Ok;
                writer.ActiveDc = -1;
                int requesterNode = VCopyOutcome.RequesterNode(m);
                int sourceEndpoint = VCopyOutcome.SourceEndpoint(m);
                if (requesterNode == _nodeId)
                {
                    CompleteLocally(dc, m.Source, sourceEndpoint, (int)header.RequestSequence, status);
                }
                else
                {
                    Message complete = VCopyOutcome.Complete(sourceEndpoint, status);
                    _routes.Post(requesterNode, new MessageHeader(header.DcId, CallKind.VCopyComplete, m.Source, 0, header.RequestSequence), complete);
                }
                return;
            case CallKind.VCopyComplete:
                if (slot != null)
                {
                    _routes.DeliverReply(slot, in m, (int)header.RequestSequence, failed: VCopyOutcome.Status(m) != DvsError.Ok);
                }
                return;
        }
    }

    /// <summary>
    /// A copy into an endpoint here, requested on another node: grant it and ask the source's node
    /// for the data (or copy at once when the source is here too). Inbound thread.
    /// </summary>
    private void OpenCopy(ReliableSession session, in DcView dc, in MessageHeader header, in Message request, bool local)
    {
        var order = new VCopyOrder(request);
        int requesterNode = order.RequesterNode;
        int sourceEndpoint = order.SourceEndpoint;
        int index = dc.SlotIndexOf(sourceEndpoint);
        EndpointSlot* source = index < 0 ? null : dc.Slot(index);
        uint state = source == null ? SegmentLayout.SlotFree : Volatile.Read(ref source->State);
        DvsError error = DvsError.DeadSrcDst;
        if (local && (uint)requesterNode < SegmentLayout.MaxNodes && source != null && source->Endpoint == sourceEndpoint)
        {
            if (state == SegmentLayout.SlotLocal)
            {
                StartCopy(dc, sourceEndpoint, source, order, (int)header.RequestSequence, requesterNode);
                return;
            }
            int owner = source->OwnerNode;
            if (state == SegmentLayout.SlotRemote && (uint)owner < SegmentLayout.MaxNodes && _links[owner] is not null)
            {
                if (_grants.TryAdd(owner, dc.DcId, header.Destination, header.RequestSequence, order.DestinationAddress, order.Bytes))
                {
                    _routes.Post(owner, new MessageHeader(header.DcId, CallKind.VCopyRequest, sourceEndpoint, source->Epoch, header.RequestSequence), request);
                    return;
                }
                error = DvsError.Again;
            }
        }
        Message fail = VCopyOutcome.Complete(sourceEndpoint, error);
        if ((uint)requesterNode < SegmentLayout.MaxNodes && _links[requesterNode] is not null)
        {
            _routes.Post(requesterNode, new MessageHeader(header.DcId, CallKind.VCopyComplete, order.Requester, 0, header.RequestSequence), fail);
        }
    }

    /// <summary>
    /// A bulk frame of a copy another node streams into an endpoint here: the destination address,
    /// then the bytes. Gathered with the contiguous ones before into one process_vm_writev of up to
    /// 64 KiB (inbound thread, under the peer's session lock).
    /// </summary>
    public void DeliverData(ReliableSession session, in DcView dc, in MessageHeader header, ReadOnlySpan<byte> data)
    {
        CopyWriter writer = _writers[session.PeerNode] ??= new CopyWriter();
        int index = dc.SlotIndexOf(header.Destination);
        EndpointSlot* slot = index < 0 ? null : dc.Slot(index);
        if (slot == null || slot->Endpoint != header.Destination || Volatile.Read(ref slot->State) != SegmentLayout.SlotLocal)
        {
            writer.Status = DvsError.DeadSrcDst;   // gone or migrating: the copy fails at its "done"
            return;
        }
        if (data.Length < sizeof(long) || data.Length - sizeof(long) > CopyWriter.Capacity)
        {
            Count(NodeCounter.DropMalformed);
            writer.Status = DvsError.BadValue;
            return;
        }
        long address = BinaryPrimitives.ReadInt64LittleEndian(data);
        ReadOnlySpan<byte> bytes = data[sizeof(long)..];
        bool? covered = _grants.Covers(session.PeerNode, dc.DcId, header.Destination, header.RequestSequence, address, bytes.Length);
        if (covered != true)
        {
            // Not a copy this node asked this peer for, or outside its range: never written.
            Count(NodeCounter.DropUnrequestedCopy);
            if (covered == false)
            {
                writer.Status = DvsError.BadValue;
            }
            return;
        }
        if (writer.ActiveDc != dc.DcId || writer.ActiveEndpoint != header.Destination)
        {
            writer.ActiveEndpoint = header.Destination;
            writer.ActiveDc = dc.DcId;
        }
        writer.Append(slot->OwnerPid, address, bytes);
    }

    /// <summary>
    /// A peer (up) is streaming a copy into <paramref name="endpoint"/>. Chunks that arrive once
    /// the endpoint is MIGRATING fail that copy (DeadSrcDst) instead of writing into a process the
    /// endpoint left, so a copy that starts after this check still ends with a clear error.
    /// </summary>
    private bool IsCopyDestination(int dcid, int endpoint)
    {
        for (int peer = 0; peer < _writers.Length; peer++)
        {
            if (_writers[peer] is CopyWriter w && w.ActiveDc == dcid && w.ActiveEndpoint == endpoint &&
                Volatile.Read(ref _nodes[peer].State) == SegmentLayout.NodeUp)
            {
                return true;
            }
        }
        return false;
    }
}
