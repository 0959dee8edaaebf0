// Longer than 500 lines: the composition root and the inbound delivery path (TryDeliver and
// its kinds), kept together so the hot path stays in one method.
using System.Diagnostics;
using System.Runtime.CompilerServices;
using Dvs.Hosting.Copies;
using Dvs.Hosting.Links;
using Dvs.Interop;
using Dvs.Ipc;
using Dvs.Layout;
using Dvs.Transport;
using Microsoft.Extensions.Logging;

namespace Dvs.Hosting;

/// <summary>
/// The node host's proxy: carries messages between this node's endpoints and the endpoints of
/// other nodes, over one reliable session per peer (UDP, sequence numbers, acks, retransmission,
/// flow control: see <see cref="ReliableSession"/>).
/// </summary>
/// <remarks>
/// <para>Built from parts, then started (<see cref="Start"/>, by the host once it wired the
/// services, metrics and node). Per peer a <see cref="PeerLink"/> (its session, gate and one
/// bounded, ordered outbox: every message for the peer goes through it). The receiver loop
/// (<see cref="ReceiverLoop"/>, inbound thread) validates frames and hands them to their
/// sessions, which deliver into local rings and reply words (<see cref="TryDeliver"/>). The sender
/// loop (<see cref="OutboundLoop"/>, outbound thread) announces binds and unbinds, drives
/// migrations, moves the outboxes and the outbound ring into the sessions, serves copies, drives
/// the sessions' timers and sends their frames; it spins briefly, then sleeps on the proxy
/// doorbell (a futex in the segment) until a local endpoint rings it or a timer is due. User code
/// (a service's restore, a stale service's stop) runs on <see cref="ProxyWorker"/>s, never on
/// those two threads.</para>
/// <para>A session is touched by both threads under its gate. Session callbacks only set flags or
/// queue into outboxes; the outbound thread acts on them, so no thread ever holds two gates.</para>
/// </remarks>
internal sealed unsafe partial class NodeProxy : ISessionSink, ISenderSteps, ICopyRoutes, IDisposable
{
    private readonly NodeSegment _segment;
    private readonly NetworkOptions _options;
    private readonly ILogger _log;
    private readonly int _nodeId;
    /// <summary>This node's incarnation (the segment's), in every frame and in the client incarnations of requests sent from here.</summary>
    private readonly ulong _incarnation;
    // The sessions of _links, by peer (each link owns its session; this is an index).
    private readonly ReliableSession?[] _sessions = new ReliableSession?[SegmentLayout.MaxNodes];
    private readonly int[] _peerIds;
    private readonly IDatagramChannel _channel;
    private readonly DropCounters _drops = new();
    private readonly DatagramSender _datagrams;
    private readonly ReceiverLoop _receiver;
    private readonly SenderLoop _sender;
    private readonly CopyService _copies;
    private readonly DcView?[] _dcs = new DcView?[SegmentLayout.MaxDcs];
    private readonly DirectoryState?[] _directory = new DirectoryState?[SegmentLayout.MaxDcs];
    private readonly bool[] _needsSync = new bool[SegmentLayout.MaxNodes];
    private readonly bool[] _wentDown = new bool[SegmentLayout.MaxNodes];
    // Which incarnation of the peer went down (set with _wentDown): its event fails only migrations to it.
    private readonly ulong[] _downIncarnation = new ulong[SegmentLayout.MaxNodes];
    private Thread? _outbound;
    private Thread? _inbound;
    private readonly EndpointSlot* _proxySlot;
    private readonly EndpointRing _outRing;
    private readonly ulong* _counters;
    private readonly NodeEntry* _nodes;
    // User code the proxy threads must not run or wait for: a stale service's stop and join, and
    // (its own worker: a long restore must not delay a stop, nor a stop a restore) a migrated
    // service's restore.
    private readonly ProxyWorker _serviceWork;
    private readonly ProxyWorker _restoreWork;
    // A chaos test's crash point for this node (FaultPoint), null outside tests.
    private readonly string? _faultPoint;
    private readonly Clock _clock;

    /// <summary>Builds the proxy of the node of <paramref name="segment"/>; <see cref="Start"/> starts its threads.</summary>
    /// <param name="segment">The node's segment.</param>
    /// <param name="options">The network: transport, peers, key, limits.</param>
    /// <param name="clusterName">In every frame's MAC.</param>
    /// <param name="log">The host's log.</param>
    /// <param name="channel">The network to use instead of the one <paramref name="options"/> names (the
    /// node-host harness: an in-memory network); the proxy owns it.</param>
    /// <param name="clock">The time instead of the machine's monotonic clock (the harness: virtual time).</param>
    /// <param name="stepped">The harness runs the proxy's passes and its workers' work itself
    /// (<see cref="SenderPass"/>, <see cref="ReceiverPass"/>, <see cref="RunWorkers"/>) instead of
    /// <see cref="Start"/>ing threads.</param>
    public NodeProxy(NodeSegment segment, NetworkOptions options, string clusterName, ILogger log,
        IDatagramChannel? channel = null, Clock? clock = null, bool stepped = false)
    {
        _segment = segment;
        _clock = clock ?? Clock.Monotonic;
        _options = options;
        _log = log;
        SegmentHeader* header = segment.Header;
        _nodeId = header->NodeId;
        _incarnation = segment.Header->Incarnation;
        _proxySlot = (EndpointSlot*)(segment.Base + header->ProxyOffset);
        _outRing = DcView.OutboundRing(segment.Base, header);
        _counters = (ulong*)(segment.Base + header->CountersOffset);
        _nodes = (NodeEntry*)(segment.Base + header->NodesOffset);
        if (options.ClusterKey.Length < 16)
        {
            throw new DvsException(DvsError.BadValue, "the cluster key must have at least 16 bytes");
        }
        var credentials = new ClusterCredentials(clusterName, options.ClusterKey);
        var sessionOptions = new SessionOptions
        {
            Mtu = options.Mtu,
            WindowFrames = options.WindowFrames,
            HeartbeatInterval = options.HeartbeatInterval,
            PeerDownAfter = options.PeerDownAfter,
            BulkMtu = BulkMtuFor(options),
        };
        _migrationBufferKeepTicks = options.MigrationBufferKeep.Ticks;
        _peerDown = OnPeerDown;
        _faultPoint = FaultPoint.ArmedFor(segment.NodeName);
        _serviceWork = new ProxyWorker($"dvs-service-{segment.NodeName}", log, stepped);
        _restoreWork = new ProxyWorker($"dvs-restore-{segment.NodeName}", log, stepped);
        ulong known = 0;
        long now = _clock.NowTicks;
        var ids = new List<int>();
        _channel = channel ?? ChannelFactory.Open(options, new TcpAuthentication(credentials, _nodeId, options.Mtu));
        try
        {
            foreach (PeerOptions peer in options.Peers)
            {
                if ((uint)peer.NodeId >= SegmentLayout.MaxNodes || peer.NodeId == _nodeId || _sessions[peer.NodeId] is not null)
                {
                    throw new DvsException(DvsError.BadNodeId, $"peer node id {peer.NodeId} is invalid or repeated");
                }
                _runs[peer.NodeId] = new DeliveryRun();
                _sessions[peer.NodeId] = new ReliableSession(sessionOptions, credentials, _nodeId, peer.NodeId,
                    _incarnation, this, _drops, now);
                _links[peer.NodeId] = new PeerLink(_sessions[peer.NodeId]!, options.PeerOutboxCapacity);
                _channel.SetPeer(peer);
                known |= 1UL << peer.NodeId;
                ids.Add(peer.NodeId);
                NodeSegment.WriteName(_nodes[peer.NodeId].Name, 32, peer.Name);
            }
        }
        catch
        {
            _channel.Dispose();
            throw;
        }
        _peerIds = ids.ToArray();
        _datagrams = new DatagramSender(_channel, _counters, log);
        _receiver = new ReceiverLoop(_channel, new FrameReader(credentials, _nodeId, known, FrameDescriptor.MaxFrameLength, _drops),
            _drops, _sessions, _datagrams, _counters, _proxySlot, log, _clock);
        _sender = new SenderLoop(this, _links, _peerIds, _datagrams, options.Mtu, _nodes, _counters, options.HeartbeatInterval, () => Metrics,
            _clock);
        _copies = new CopyService(this, _nodeId, _dcs, _links, _nodes, _counters, options.CopyJobLimit);
        for (int dcid = 0; dcid < SegmentLayout.MaxDcs; dcid++)
        {
            if (segment.TryGetDc(dcid, out DcView dc) == DvsError.Ok)
            {
                _dcs[dcid] = dc;
                _directory[dcid] = new DirectoryState(dc.NrSlots);
            }
        }
        header->ProxyPid = Shim.GetPid();
    }

    /// <summary>
    /// Bulk frames (a migration's state) as large as a datagram can be where every peer is on
    /// this host's loopback (no fragmentation there); elsewhere the MTU, as every other frame.
    /// </summary>
    private static int BulkMtuFor(NetworkOptions options) =>
        options.Transport == TransportKind.Udp && System.Net.IPAddress.IsLoopback(options.Listen.Address)
            && options.Peers.All(p => System.Net.IPAddress.IsLoopback(p.Address.Address))
            ? FrameDescriptor.MaxFrameLength
            : 0;

    /// <summary>
    /// Starts the sender and receiver threads. Once, after the host set <see cref="Services"/>
    /// and <see cref="Metrics"/> and attached its node: a peer's first frame may need them.
    /// </summary>
    public void Start()
    {
        if (_outbound is not null)
        {
            throw new InvalidOperationException("the node proxy was started already");
        }
        _outbound = new Thread(OutboundLoop) { IsBackground = true, Name = $"dvs-proxy-out-{_segment.NodeName}" };
        _inbound = new Thread(InboundLoop) { IsBackground = true, Name = $"dvs-proxy-in-{_segment.NodeName}" };
        _outbound.Start();
        _inbound.Start();
    }

    /// <summary>
    /// The node-host harness, for a proxy built stepped and never started: one pass of the
    /// outbound thread (it never idles). Returns whether a step did something.
    /// </summary>
    internal bool SenderPass()
    {
        _senderThreadId = Environment.CurrentManagedThreadId;
        return _sender.RunOnce(out _, out _);
    }

    /// <summary>The harness: one pass of the inbound thread, without waiting. Returns how many datagrams came.</summary>
    internal int ReceiverPass() => _receiver.PollOnce(0);

    /// <summary>The harness, for a stepped proxy: runs the work its workers were given (restores, stops). Returns how much ran.</summary>
    internal int RunWorkers() => _restoreWork.RunPending() + _serviceWork.RunPending();

    /// <summary>Tests: a thread of the proxy runs.</summary>
    internal bool IsRunning => _outbound?.IsAlive == true || _inbound?.IsAlive == true;

    /// <summary>The UDP / TCP endpoint the proxy listens on (useful when the port was 0); null with raw Ethernet.</summary>
    public System.Net.IPEndPoint? LocalEndPoint => _channel.LocalEndPoint;

    private void Count(NodeCounter counter, long by = 1) => Interlocked.Add(ref *(long*)&_counters[(int)counter], by);

    // ------------------------------------------------------------------ outbound thread

    private void OutboundLoop()
    {
        _senderThreadId = Environment.CurrentManagedThreadId;
        try
        {
            _sender.Run();
        }
        catch (Exception e)
        {
            Fail(e, "outbound");
        }
    }

    uint ISenderSteps.BeginPass()
    {
        if (FailingNode is { } failing && failing == _segment.NodeName)
        {
            throw new InvalidOperationException("injected proxy fault (test)");
        }
        return Volatile.Read(ref _proxySlot->WakeSeq);
    }

    bool ISenderSteps.AnnounceDirectoryChanges() => AnnounceDirectoryChanges();

    bool ISenderSteps.ApplyPeerEvents() => ApplyPeerEvents();

    bool ISenderSteps.ProcessMigrations() => ProcessMigrations();

    bool ISenderSteps.FlushLinks() => FlushLinks();

    bool ISenderSteps.DrainOutbound() => DrainOutbound();

    bool ISenderSteps.ProcessCopyJobs() => _copies.ProcessJobs();

    bool ISenderSteps.FlushOverflow() => FlushOverflow();

    void ISenderSteps.Idle(uint observed, long deadline)
    {
        TrimMigrationBuffers(_clock.NowTicks);
        IdleWait(observed, deadline);
    }

    /// <summary>
    /// Spin a little (a reply often follows within microseconds), then sleep on the doorbell.
    /// After a burst (the last drain of the outbound ring took at least <see cref="YieldAfter"/>
    /// messages) the spin yields the CPU between checks: the sender that brings the next burst
    /// often shares this CPU, and a plain spin kept it off for the whole 20 µs (measured
    /// 2026-11-25, cross-node Send: 0.8 µs of proxy spin per message). Not after single messages:
    /// there the yield cost round trips (cross-node SendRec, Blocking endpoints: 86 -> 104 µs
    /// against main in the same run; a yield hands the CPU to whatever else runs on it).
    /// </summary>
    /// <remarks>
    /// Spins only when traffic is likely to follow: this thread just moved messages out of the
    /// outbound ring, or the inbound thread delivered a request (its reply comes next) or a reply
    /// (its caller's next request). Woken for anything else (a ring the overflow waited for has
    /// room, a timer), the spin only kept the inbound thread off a CPU they share (measured
    /// 2026-11-25, one-way Send: a quarter of the receiving node's CPU spent in this spin).
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void IdleWait(uint observed, long deadline)
    {
        bool trafficExpected = _drainedSinceIdle || (Volatile.Read(ref _replyExpected) != 0 && Interlocked.Exchange(ref _replyExpected, 0) != 0);
        _drainedSinceIdle = false;
        long spinUntil = trafficExpected ? Stopwatch.GetTimestamp() + Stopwatch.Frequency / 50_000 : 0; // 20 us
        while (Stopwatch.GetTimestamp() < spinUntil)
        {
            if (Volatile.Read(ref _proxySlot->WakeSeq) != observed || (!_outboundBlocked && _outRing.Count != 0))
            {
                return;
            }
            if (_lastDrain >= YieldAfter)
            {
                Thread.Yield();
            }
        }
        long now = _clock.NowTicks;
        int ms = deadline == long.MaxValue ? 100 : (int)Math.Clamp((deadline - now + TimeSpan.TicksPerMillisecond - 1) / TimeSpan.TicksPerMillisecond, 0, 100);
        if (HasOverflow)
        {
            ms = Math.Min(ms, 1);   // a full local ring drains without telling the proxy: look again soon
        }
        if (ms == 0)
        {
            return;
        }
        Volatile.Write(ref _proxySlot->WakePending, 0u);
        Interlocked.Increment(ref _proxySlot->Sleeping);
        if (_outboundBlocked || _outRing.Count == 0)
        {
            Shim.FutexWait(&_proxySlot->WakeSeq, observed, ms);
        }
        Interlocked.Decrement(ref _proxySlot->Sleeping);
    }

    /// <summary>A request that cannot leave this node fails its caller here instead of hanging it.</summary>
    private static void FailLocalCaller(in DcView dc, int kind, in Message message, DvsError error)
    {
        if (kind != SegmentLayout.KindSendRec && kind != CallKind.VCopyRequest)
        {
            return;
        }
        int caller = dc.SlotIndexOf(message.Source);
        if (caller >= 0)
        {
            EndpointSlot* slot = dc.Slot(caller);
            ulong word = Volatile.Read(ref slot->ReplyWord);
            if (ReplyWord.State(word) == ReplyWord.Awaiting)
            {
                ReplyHandOff.TryFail(slot, word, ReplyWord.Failed, error);
            }
        }
    }

    // ------------------------------------------------------------------ inbound thread

    private void InboundLoop()
    {
        try
        {
            _receiver.Run();
        }
        catch (Exception e)
        {
            Fail(e, "inbound");
        }
    }

    /// <summary>Tests and the fuzzer: <paramref name="datagram"/> as if received (see <see cref="ReceiverLoop.ReceiveInjected"/>).</summary>
    internal void ReceiveInjected(ReadOnlySpan<byte> datagram) => _receiver.ReceiveInjected(datagram);

    // ------------------------------------------------------------------ ISessionSink

    /// <summary>Delivers one message from a peer into this node. False: retry later (ring full).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public bool TryDeliver(ReliableSession session, in MessageHeader header, ReadOnlySpan<byte> message)
    {
        int dcid = header.DcId;
        // By reference, the view and the message both: copying the 88-byte view out of its
        // Nullable and the 64-byte message out of the frame cost store-forwarding stalls on every
        // message (perf, 2026-11-25: the hottest instructions of the receiving proxy's delivery).
        if (dcid >= SegmentLayout.MaxDcs || !_dcs[dcid].HasValue)
        {
            Count(NodeCounter.DropWrongDc);   // a DC this node does not run
            return true;
        }
        ref readonly DcView dc = ref Nullable.GetValueRefOrDefaultRef(in _dcs[dcid]);
        if ((dc.Descriptor->Nodes & (1UL << session.PeerNode)) == 0)
        {
            Count(NodeCounter.DropWrongDc);   // a DC the peer is not part of
            return true;
        }
        ref readonly Message m = ref System.Runtime.InteropServices.MemoryMarshal.AsRef<Message>(message);
        int index = dc.SlotIndexOf(header.Destination);
        if (index < 0)
        {
            Count(NodeCounter.DropUnknownEndpoint);
            return true;
        }
        EndpointSlot* slot = dc.Slot(index);
        int kind = header.CallKind;
        if (kind is not (SegmentLayout.KindSend or SegmentLayout.KindSendRec))
        {
            FlushRun(session);   // what came before it, first
        }
        switch (kind)
        {
            case CallKind.Bind:
                // The owner is named in the message: a node redirecting to a migrated endpoint's new home.
                int owner = m.Type;
                if ((uint)owner < SegmentLayout.MaxNodes && owner != _nodeId)
                {
                    ApplyBind(dc, index, header.Destination, owner, header.Epoch);
                }
                return true;
            case CallKind.Unbind:
                ApplyUnbind(dc, index, header.Destination, session.PeerNode);
                return true;
            case CallKind.DirectorySynced:
                Interlocked.Or(ref _synced[session.PeerNode], 1UL << dcid);
                return true;
            case CallKind.OwnerStatus:
                ApplyOwnerStatus(dcid, header.Destination, header.Epoch);
                return true;
            case CallKind.CopyStatus:
                _heldElsewhere[(dcid, header.Destination)] = (session.PeerNode, header.Epoch, (int)m[0]);
                return true;
            case CallKind.VCopyRequest:
            case CallKind.VCopyData:
            case CallKind.VCopyDone:
            case CallKind.VCopyComplete:
            case CallKind.VCopyOpen:
                _copies.Deliver(session, dc, header, m);
                return true;
            case >= CallKind.MigrateOffer and <= CallKind.MigrateHandover:
                DeliverMigration(session, dc, header, m);
                return true;
            case CallKind.Fence:
                if (!DeliverFence(session.PeerNode, dc, index, header, in m))
                {
                    Count(NodeCounter.InboundBackPressure);
                    return false;
                }
                return true;
        }
        uint slotState = Volatile.Read(ref slot->State);
        if ((slotState != SegmentLayout.SlotLocal && slotState != SegmentLayout.SlotMigrating) || slot->Endpoint != header.Destination)
        {
            FlushRun(session);
            if (slotState == SegmentLayout.SlotRemote && slot->Endpoint == header.Destination &&
                kind is SegmentLayout.KindSend or SegmentLayout.KindSendRec or SegmentLayout.KindNotify)
            {
                // It moved away from here (migration): forward, in order, and tell the sender where it is
                // (possibly back to the sender's own node, which owns it now).
                if (!Forward(session.PeerNode, header, in m, slot, index))
                {
                    Count(NodeCounter.InboundBackPressure);
                    return false;
                }
                return true;
            }
            if (kind == SegmentLayout.KindSendRec)
            {
                // Tell the caller now; its node would learn of the unbind anyway.
                QueueReplyError(session, dcid, m.Source, header.Destination, (int)header.RequestSequence, header.SourceIncarnation, DvsError.DstDied);
            }
            Count(kind == SegmentLayout.KindReply ? NodeCounter.DropLateReply : NodeCounter.DropUnknownEndpoint);
            return true;
        }
        switch (kind)
        {
            case SegmentLayout.KindSend:
            case SegmentLayout.KindSendRec:
                int meta = RingMeta.Pack(kind, (int)header.RequestSequence);
                if (_fenceWaitCount != 0)
                {
                    FlushRun(session);
                    if (HoldForFence(session.PeerNode, dcid, index, in m, meta, header.SourceIncarnation, out bool accepted))
                    {
                        if (!accepted)
                        {
                            Count(NodeCounter.InboundBackPressure);
                            return false;
                        }
                        Count(NodeCounter.MessagesReceived);
                        return true;   // its sender's FENCE is due: behind what still comes the old way
                    }
                }
                if (slotState != SegmentLayout.SlotLocal)
                {
                    FlushRun(session);   // a migrating endpoint takes messages one by one (see WaitForDeliveryPasses)
                }
                if (slotState != SegmentLayout.SlotLocal || !TryAddToRun(session, dc, index, in m, meta, header.SourceIncarnation))
                {
                    if (!DeliverOrQueue(dc, index, slot, in m, meta, header.SourceIncarnation))
                    {
                        // Not a drop: the session keeps the message and retries; its window shrinks.
                        Count(NodeCounter.InboundBackPressure);
                        return false;
                    }
                    Count(NodeCounter.MessagesReceived);
                }
                if (kind == SegmentLayout.KindSendRec)
                {
                    ExpectReply();
                }
                return true;
            case SegmentLayout.KindReply:
            case CallKind.ReplyError:
                Count(NodeCounter.MessagesReceived);
                ExpectReply();
                DeliverReply(slot, in m, (int)header.RequestSequence, kind == CallKind.ReplyError, header.SourceIncarnation);
                return true;
            case SegmentLayout.KindNotify:
                Count(NodeCounter.MessagesReceived);
                int from = dc.SlotIndexOf(m.Source);
                if (from >= 0)
                {
                    ulong* words = dc.Notify(index);
                    Interlocked.Or(ref words[from >> 6], 1UL << (from & 63));
                    Interlocked.Or(ref slot->NotifySummary, 1UL << (from >> 6));
                    Doorbell.Ring(slot);
                }
                return true;
            default:
                Count(NodeCounter.DropMalformed);
                return true;
        }
    }

    public void EndDeliveries(ReliableSession session) => FlushRun(session);

    /// <summary>Tells the outbound thread that a message will likely follow soon (see IdleWait): written only when it changes, to keep the line shared.</summary>
    private void ExpectReply()
    {
        if (Volatile.Read(ref _replyExpected) == 0)
        {
            Volatile.Write(ref _replyExpected, 1);
        }
    }

    /// <summary>
    /// Hands a reply from a peer to the local caller waiting for it. <paramref name="client"/> names
    /// the binding the reply is for (0 from a peer that does not say, and for completions this node
    /// made itself): a reply for an earlier binding of the endpoint, or for this node's previous
    /// incarnation, is a late reply.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void DeliverReply(EndpointSlot* slot, in Message reply, int sequence, bool failed, ulong client = 0)
    {
        uint binding = client == 0 ? ReplyHandOff.AnyBinding : ClientIncarnation.BindCount(client);
        if ((client != 0 && ClientIncarnation.NodePart(client) != (uint)_incarnation) ||
            !ReplyHandOff.TryDeliver(slot, sequence, reply.Source, binding, in reply, failed ? ReplyWord.Failed : ReplyWord.Done))
        {
            Count(NodeCounter.DropLateReply);
        }
    }

    private void QueueReplyError(ReliableSession session, int dcid, int caller, int failedEndpoint, int sequence, ulong client, DvsError error)
    {
        Message m = default;
        m.Source = failedEndpoint;
        m.Type = (int)error;
        var header = new MessageHeader((ushort)dcid, CallKind.ReplyError, caller, 0, (uint)sequence, client);
        Post(session.PeerNode, header, m);
    }

    public void OnPeerStateChanged(ReliableSession session, PeerState state)
    {
        int peer = session.PeerNode;
        if (state == PeerState.Up)
        {
            _nodes[peer].Incarnation = session.PeerIncarnation;
            Volatile.Write(ref _nodes[peer].State, SegmentLayout.NodeUp);
            Volatile.Write(ref _needsSync[peer], true);
            Count(NodeCounter.PeersUp);
            _log.LogInformation("peer node {Peer} ({PeerName}) is up (incarnation {Incarnation})", peer, PeerName(peer), session.PeerIncarnation);
        }
        else if (state == PeerState.Down)
        {
            Volatile.Write(ref _nodes[peer].State, SegmentLayout.NodeDown);
            Volatile.Write(ref _synced[peer], 0UL);
            Volatile.Write(ref _downIncarnation[peer], session.PeerIncarnation);   // before the flag: read after it
            Volatile.Write(ref _wentDown[peer], true);
            Count(NodeCounter.PeerDownEvents);
            _log.LogWarning("peer node {Peer} ({PeerName}) is down (silent for {Silence})", peer, PeerName(peer), _options.PeerDownAfter);
        }
        Doorbell.Wake(&_proxySlot->WakeSeq);
    }

    // For log lines only (peer events are rare).
    private string PeerName(int peer) => _options.Peers.FirstOrDefault(p => p.NodeId == peer)?.Name ?? "?";

    public void OnPeerReset(ReliableSession session, ulong newIncarnation, int discardedMessages)
    {
        int peer = session.PeerNode;
        // The peer restarted: what it announced before is gone, and so is our side of the stream.
        Volatile.Write(ref _synced[peer], 0UL);
        ForgetRemoteEndpoints(peer, ReplyWord.PeerDied);
        ReleaseFencesOf(peer);   // its FENCEs, and those coming through it, will not come
        // A copy of its migration that this node holds: if it is current, its new incarnation is
        // told (COPY-STATUS in the sync) and hands it over or aborts it; a stale one is dropped.
        if (_incoming[peer] is IncomingMigration copy && copy.IsCurrent)
        {
            copy.Orphaned = true;
            lock (_formerOwnership)
            {
                _heldCopies.Add((peer, copy.Package!.DcId, copy.Package.Endpoint, copy.Package.Epoch, copy.Id));
            }
        }
        else
        {
            Drop(_incoming[peer]);
            _incoming[peer] = null;
        }
        Volatile.Write(ref _restarted[peer], true);
        _copies.PeerRestarted(peer);
        _nodes[peer].Incarnation = newIncarnation;
        Volatile.Write(ref _nodes[peer].State, SegmentLayout.NodeUp);
        Volatile.Write(ref _needsSync[peer], true);
        Count(NodeCounter.PeerRestarts);
        _log.LogWarning("peer node {Peer} ({PeerName}) restarted (incarnation {Incarnation}); {Discarded} undelivered messages discarded",
            peer, PeerName(peer), newIncarnation, discardedMessages);
        Doorbell.Wake(&_proxySlot->WakeSeq);
    }

    // ------------------------------------------------------------------ lifetime

    /// <summary>Test hook: the outbound thread of the proxy of the node of this name throws (a proxy thread that dies).</summary>
    internal static volatile string? FailingNode;

    /// <summary>Completes with the exception that ended a proxy thread; never for a healthy proxy.</summary>
    public Task<Exception> Failure => _failure.Task;

    private readonly TaskCompletionSource<Exception> _failure = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>
    /// A proxy thread died: a proxy that stopped silently would strand every remote call of the
    /// node. Say so loudly, mark it in the segment (remote calls fail with NoProxy from now on) and
    /// wake every waiter of the node to look; the host owner decides (dvs node run exits with 1).
    /// </summary>
    private void Fail(Exception e, string thread)
    {
        _log.LogCritical(e, "node proxy {Thread} thread failed: remote calls of node {Node} fail with NoProxy until its host is restarted",
            thread, _segment.NodeName);
        Volatile.Write(ref _segment.Header->ProxyPid, SegmentLayout.ProxyFailed);
        Liveness.WakeAll(_segment);
        _failure.TrySetResult(e);
    }

    public void Dispose()
    {
        _sender.Stop();
        _receiver.Stop();
        Doorbell.Wake(&_proxySlot->WakeSeq);
        _outbound?.Join();
        _inbound?.Join();
        // Services of migrations still under way (removed from the registry at their handover):
        // stopped while their endpoints' memory is still mapped.
        foreach (OutgoingMigration migration in _outgoing.Values)
        {
            migration.Host?.Stop();
        }
        _channel.Dispose();
        _segment.Header->ProxyPid = 0;
    }
}
