// Longer than 500 lines: one sans-IO state machine (window, acks, retransmission, bulk stream,
// liveness, incarnations) whose parts share one sequence space and one lock; split, each part
// would read the others' fields.
using System.Runtime.CompilerServices;

namespace Dvs.Transport;

/// <summary>
/// Reliable, ordered, exactly-once delivery of messages to one peer node over an unreliable
/// datagram channel. Pure logic: it never touches a socket or a clock; the caller passes the time
/// (ticks, 100 ns) and moves the frames (<see cref="Poll"/> fills a batch to send,
/// <see cref="OnFrame"/> takes a validated frame from the peer).
/// </summary>
/// <remarks>
/// <para>Frames carry a sequence number; messages are batched into the frame being filled until it
/// is full or the next Poll. Every frame carries a cumulative ack (next sequence expected), a
/// 64-bit selective-ack map and the receive window. Unacknowledged frames are retransmitted after
/// an RFC 6298 timeout, doubled per retry up to MaxRto, or earlier when three acks show that
/// frames sent after it arrived and it is older than 1.25 round trips (fast retransmit with the
/// send-time and reordering-window rules of RACK, RFC 8985: with 25% reordering this cut
/// retransmissions from 6x to 0.4x the data frames in the 100,000-message test). The send window bounds memory: when it is full,
/// <see cref="TrySend"/> returns <see cref="SendStatus.BackPressured"/>.</para>
/// <para>Incarnations: each side has one (growing across restarts, never 0). A frame from an
/// older incarnation of the peer, or addressed to an older one of ours, is dropped and counted; a
/// newer incarnation of the peer resets both directions. Silence longer than PeerDownAfter marks
/// the peer down.</para>
/// <para>Zero allocations per message: every buffer is allocated in the constructor. Bulk frames
/// (<see cref="TrySendBulk"/>) reference the sender's bytes; a receiver rents a buffer only for a
/// bulk frame that arrives before its turn.
/// Not thread-safe: one thread drives a session (the node host's proxy for this peer).</para>
/// </remarks>
internal sealed class ReliableSession
{
    private struct SendSlot
    {
        public int Count;
        public int Retries;
        public int DupHits;
        public bool Sacked;
        public bool FastRetransmit;
        public long FirstSent;
        public long LastSent;
        /// <summary>A bulk frame: its message header and the caller's bytes (referenced, not copied).</summary>
        public bool IsBulk;
        public MessageHeader BulkHeader;
        public ReadOnlyMemory<byte> BulkData;
    }

    private struct ReceiveSlot
    {
        public bool Present;
        public int Count;
        /// <summary>A bulk frame kept until its turn (rented); null for messages.</summary>
        public byte[]? Bulk;
        public int BulkLength;
    }

    private readonly ClusterCredentials _credentials;
    private readonly ISessionSink _sink;
    private readonly DropCounters _drops;
    private readonly int _window;
    private readonly int _mask;
    private readonly int _perFrame;
    private readonly int _frameBytes;
    private readonly int _mtu;
    private readonly long _heartbeatInterval;
    private readonly long _peerDownAfter;
    private readonly int _bulkMtu;
    private readonly int _bulkWindow;
    // Bulk frames accepted by TrySendBulk and not yet cumulatively acknowledged.
    private int _bulkInFlight;

    private readonly SendSlot[] _send;
    private readonly byte[] _sendEntries;
    private readonly ReceiveSlot[] _receive;
    private readonly byte[] _receiveEntries;
    private RttEstimator _rtt;

    // Send side: [_una, _sent) transmitted and unacknowledged; [_sent, _open) sealed, waiting for
    // the peer's window; _open is the frame being filled (exists while _open - _una < _window).
    private ulong _una;
    private ulong _sent;
    private ulong _open;
    private uint _peerWindow;

    // Receive side: [_deliverBase, _rcvNext) received in order, not yet all delivered; later
    // frames up to _deliverBase + _window may be present out of order.
    private ulong _deliverBase;
    private int _deliverIndex;
    private ulong _rcvNext;
    private bool _ackPending;
    private long _ackDue = long.MaxValue;
    private int _unackedData;
    private readonly long _ackDelay;
    private uint _advertisedWindow;

    private long _lastHeard;
    private long _lastPoll;
    // When we last sent a frame the peer counts as fresh (a control frame or new data; not a
    // retransmission): heartbeats are timed from here, so a peer that only retransmits still
    // proves it is alive.
    private long _lastFreshSent;
    private long _nextHello;
    // Control frames (ack, heartbeat, hello) carry a sequence of their own in the sequence field,
    // growing by one per control frame of an incarnation. Only a newer one than the last taken
    // refreshes liveness: a recorded frame replayed later carries an old one (issue 11.2).
    private ulong _controlSequence;
    private ulong _peerControlSequence;

    /// <param name="options">Window, MTU and timers (validated here).</param>
    /// <param name="credentials">Cluster id and key for the frames this session writes.</param>
    /// <param name="localNode">Our node id.</param>
    /// <param name="peerNode">The peer's node id.</param>
    /// <param name="localIncarnation">Ours: non-zero, larger after every restart (e.g. start
    /// time in microseconds).</param>
    /// <param name="sink">Receives delivered messages and peer events.</param>
    /// <param name="drops">Where stale, duplicate and out-of-window frames are counted.</param>
    /// <param name="now">Current time (ticks); silence is measured from here.</param>
    public ReliableSession(SessionOptions options, ClusterCredentials credentials, int localNode, int peerNode,
        ulong localIncarnation, ISessionSink sink, DropCounters drops, long now)
    {
        options.Validate();
        ArgumentOutOfRangeException.ThrowIfNegative(localNode);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(localNode, FrameDescriptor.MaxNodes);
        ArgumentOutOfRangeException.ThrowIfNegative(peerNode);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(peerNode, FrameDescriptor.MaxNodes);
        if (peerNode == localNode)
        {
            throw new ArgumentException("a session needs two different nodes", nameof(peerNode));
        }
        ArgumentOutOfRangeException.ThrowIfZero(localIncarnation);
        _credentials = credentials;
        _sink = sink;
        _drops = drops;
        LocalNode = localNode;
        PeerNode = peerNode;
        LocalIncarnation = localIncarnation;
        _window = options.WindowFrames;
        _mask = _window - 1;
        _mtu = options.Mtu;
        _perFrame = FrameDescriptor.MessagesPerFrame(_mtu);
        _frameBytes = _perFrame * FrameDescriptor.EntryLength;
        _heartbeatInterval = options.HeartbeatInterval.Ticks;
        _ackDelay = options.AckDelay.Ticks;
        _peerDownAfter = options.PeerDownAfter.Ticks;
        _bulkMtu = options.BulkMtu == 0 ? _mtu : options.BulkMtu;
        _bulkWindow = Math.Clamp(options.BulkWindowBytes / _bulkMtu, 1, _window - 1);
        _send = new SendSlot[_window];
        _sendEntries = new byte[_window * _frameBytes];
        _receive = new ReceiveSlot[_window];
        _receiveEntries = new byte[_window * _frameBytes];
        _rtt = new RttEstimator(options.InitialRto.Ticks, options.MinRto.Ticks, options.MaxRto.Ticks);
        _peerWindow = (uint)_window;
        _advertisedWindow = (uint)_window;
        _lastHeard = now;
        _lastFreshSent = now;
        _lastPoll = now;
        _nextHello = now;
    }

    public int LocalNode { get; }

    public int PeerNode { get; }

    public ulong LocalIncarnation { get; }

    /// <summary>
    /// What the node host's threads hold while they use this session (it is not thread-safe).
    /// A System.Threading.Lock, not a Monitor on the session: the outbound thread takes it once per
    /// message, and a Monitor's runtime calls showed in its profile (docs/benchmarks/notes-moved-from-code.md).
    /// Re-entrant: a delivery may queue an error reply on its own session.
    /// </summary>
    public Lock Gate { get; } = new();

    /// <summary>The peer's incarnation, 0 until its first frame.</summary>
    public ulong PeerIncarnation { get; private set; }

    public PeerState State { get; private set; }

    /// <summary>Messages per frame at the configured MTU.</summary>
    public int MessagesPerFrame => _perFrame;

    /// <summary>Messages <see cref="TrySend"/> accepts before it back-pressures.</summary>
    public int SendCapacity =>
        _open - _una >= (ulong)_window ? 0 : (int)((ulong)_window - (_open - _una)) * _perFrame - _send[(int)(_open & (ulong)_mask)].Count;

    /// <summary>Frames sent but not yet acknowledged.</summary>
    public int FramesInFlight => (int)(_sent - _una);

    /// <summary>The current retransmission timeout (ticks).</summary>
    public long RetransmissionTimeout => _rtt.Rto;

    /// <summary>Smoothed round trip (ticks), 0 before the first sample.</summary>
    public long SmoothedRtt => _rtt.SmoothedRtt;

    public long MessagesAccepted { get; private set; }

    public long MessagesDelivered { get; private set; }

    public long FramesSent { get; private set; }

    public long DataFramesSent { get; private set; }

    public long Retransmissions { get; private set; }

    public long FastRetransmissions { get; private set; }

    public long Resets { get; private set; }

    /// <summary>
    /// Queues one 64-byte message for the peer. Returns <see cref="SendStatus.BackPressured"/>
    /// when the window is full (nothing queued: retry after acks arrive), PeerDown when the peer
    /// was declared down. The message goes out at the next <see cref="Poll"/>. Allocates nothing.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public SendStatus TrySend(in MessageHeader header, ReadOnlySpan<byte> message)
    {
        if (message.Length != FrameDescriptor.MessageLength || header.DcId >= FrameDescriptor.MaxDcs)
        {
            return SendStatus.Invalid;
        }
        if (State == PeerState.Down)
        {
            return SendStatus.PeerDown;
        }
        if (_open - _una >= (ulong)_window)
        {
            return SendStatus.BackPressured;
        }
        int slot = (int)(_open & (ulong)_mask);
        ref SendSlot s = ref _send[slot];
        FrameWriter.EncodeEntry(
            _sendEntries.AsSpan(slot * _frameBytes + s.Count * FrameDescriptor.EntryLength, FrameDescriptor.EntryLength),
            header, message);
        s.Count++;
        MessagesAccepted++;
        if (s.Count == _perFrame)
        {
            _open++;
        }
        return SendStatus.Ok;
    }

    /// <summary>Largest number of raw bytes one <see cref="TrySendBulk"/> carries (the bulk MTU
    /// less the frame header, one message header and the HMAC).</summary>
    public int BulkCapacity => _bulkMtu - FrameDescriptor.MinFrameLength - FrameDescriptor.MessageHeaderLength;

    /// <summary>The largest datagram a bulk frame takes (the batch slots <see cref="PollBulk"/> fills).</summary>
    public int BulkMtu => _bulkMtu;

    /// <summary>Bulk frames queued or in flight (not yet acknowledged).</summary>
    public int BulkInFlight => _bulkInFlight;

    /// <summary>Bulk frames accepted by <see cref="TrySendBulk"/> so far (monotonic).</summary>
    public long BulkQueued { get; private set; }

    /// <summary>
    /// Bulk frames whose bytes the session no longer references (acknowledged, or dropped by a
    /// reset), monotonic. Released in the order they were queued, so the frame queued as number q
    /// (<see cref="BulkQueued"/> - 1 right after its TrySendBulk) is released once this exceeds q:
    /// then its buffer may be reused.
    /// </summary>
    public long BulkReleased { get; private set; }

    /// <summary>
    /// Queues raw bytes (up to <see cref="BulkCapacity"/>) as one bulk frame: in the same ordered,
    /// acknowledged, retransmitted and authenticated sequence as the messages, delivered to
    /// <see cref="ISessionSink.TryDeliverBulk"/> after every message queued before it. Seals the
    /// frame being filled first. BackPressured when the window or the bulk window (a bound on the
    /// bytes in flight, kept below the socket buffers) is full. The session keeps a reference to
    /// <paramref name="data"/> (no copy) until the peer acknowledges it or the session resets: the
    /// caller must not change those bytes meanwhile (a retransmission would carry the change, under
    /// a valid HMAC). Allocates nothing.
    /// </summary>
    public SendStatus TrySendBulk(in MessageHeader header, ReadOnlyMemory<byte> data)
    {
        if (data.Length > BulkCapacity || header.DcId >= FrameDescriptor.MaxDcs)
        {
            return SendStatus.Invalid;
        }
        if (State == PeerState.Down)
        {
            return SendStatus.PeerDown;
        }
        bool seal = _send[(int)(_open & (ulong)_mask)].Count > 0;
        if (_open - _una + (seal ? 1UL : 0UL) >= (ulong)_window || _bulkInFlight >= _bulkWindow)
        {
            return SendStatus.BackPressured;
        }
        if (seal)
        {
            _open++;
        }
        ref SendSlot s = ref _send[(int)(_open & (ulong)_mask)];
        s.IsBulk = true;
        s.BulkHeader = header;
        s.BulkData = data;
        s.Count = 1;
        _bulkInFlight++;
        BulkQueued++;
        MessagesAccepted++;
        _open++;
        return SendStatus.Ok;
    }

    /// <summary>
    /// Fills <paramref name="output"/> (slots of at least <see cref="BulkMtu"/> bytes) with the
    /// bulk frames due now: retransmissions, then the next ones in sequence order (a bulk frame
    /// goes out only once every frame before it went out through <see cref="Poll"/>). Call beside
    /// Poll, under the same lock, while <see cref="BulkInFlight"/> is not zero. Returns the number
    /// of datagrams added.
    /// </summary>
    public int PollBulk(long now, DatagramBatch output)
    {
        if (output.SlotSize < _bulkMtu)
        {
            throw new ArgumentException("the batch's slots are smaller than the bulk MTU", nameof(output));
        }
        int before = output.Count;
        if (PeerIncarnation == 0 || _bulkInFlight == 0 || State == PeerState.Down)
        {
            return 0;
        }
        for (ulong seq = _una; seq < _sent && !output.IsFull; seq++)
        {
            ref SendSlot s = ref _send[(int)(seq & (ulong)_mask)];
            if (!s.Sacked && s.IsBulk && TakeRetransmission(ref s, now))
            {
                EmitBulk(seq, now, output);
            }
        }
        while (_sent < _open && _sent < _una + _peerWindow && !output.IsFull && _send[(int)(_sent & (ulong)_mask)].IsBulk)
        {
            ref SendSlot s = ref _send[(int)(_sent & (ulong)_mask)];
            s.FirstSent = now;
            s.LastSent = now;
            EmitBulk(_sent, now, output);
            _sent++;
        }
        return output.Count - before;
    }

    private void EmitBulk(ulong seq, long now, DatagramBatch output)
    {
        ref SendSlot s = ref _send[(int)(seq & (ulong)_mask)];
        Span<byte> frame = output.NextSlot[.._bulkMtu];
        FrameWriter.EncodeMessageHeader(frame[FrameDescriptor.HeaderLength..], s.BulkHeader);
        s.BulkData.Span.CopyTo(frame[(FrameDescriptor.HeaderLength + FrameDescriptor.MessageHeaderLength)..]);
        FrameHeader h = Header(FrameKind.Bulk);
        h.Sequence = seq;
        output.Commit(PeerNode, FrameWriter.CompleteBulk(frame, h, s.BulkData.Length, _credentials));
        DataFramesSent++;
        Sent(now, fresh: seq >= _sent);
    }

    /// <summary>
    /// Whether an unacknowledged frame is due again (fast retransmit once its hole was seen, or its
    /// backed-off timeout ran out); if so, books the retransmission. The caller emits the frame.
    /// </summary>
    private bool TakeRetransmission(ref SendSlot s, long now)
    {
        long age = now - s.LastSent;
        bool fast = s.FastRetransmit && age >= FastRetransmitAge;
        if (!fast && age < _rtt.Backoff(s.Retries))
        {
            return false;
        }
        if (fast)
        {
            FastRetransmissions++;
        }
        s.Retries++;
        s.LastSent = now;
        s.FastRetransmit = false;
        s.DupHits = 0;
        Retransmissions++;
        return true;
    }

    private void ReleaseBulk(ref SendSlot s)
    {
        if (s.IsBulk)
        {
            s.IsBulk = false;
            s.BulkData = default;
            _bulkInFlight--;
            BulkReleased++;
        }
    }

    private bool DeliverBulk(ReadOnlySpan<byte> payload)
    {
        FrameReader.ReadMessageHeader(payload, out MessageHeader header);
        if (!_sink.TryDeliverBulk(this, header, payload[FrameDescriptor.MessageHeaderLength..]))
        {
            return false;
        }
        MessagesDelivered++;
        return true;
    }

    /// <summary>
    /// Takes a frame from the peer that <see cref="FrameReader.TryRead"/> validated. Applies its
    /// acks, stores its messages and delivers what is in order to the sink. Returns the drop
    /// reason (already counted) when the frame is not used. Allocates nothing.
    /// </summary>
    /// <remarks>Only a fresh frame counts as a sign of life: one made for our current incarnation
    /// that carries something new (a data frame not received before, or a control frame with a
    /// newer control sequence). An authenticated frame recorded earlier and replayed is neither,
    /// so it cannot keep a dead peer up.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public DropReason OnFrame(in FrameHeader header, ReadOnlySpan<byte> frame, long now)
    {
        DropReason reason = Accept(header, frame, now);
        _drops.Increment(reason);
        return reason;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private DropReason Accept(in FrameHeader header, ReadOnlySpan<byte> frame, long now)
    {
        if (header.SourceNode != PeerNode || header.DestinationNode != LocalNode)
        {
            return DropReason.UnknownNode;
        }
        if (header.SenderIncarnation < PeerIncarnation)
        {
            return DropReason.StaleIncarnation;
        }
        if (header.SenderIncarnation > PeerIncarnation)
        {
            bool restarted = PeerIncarnation != 0;
            int discarded = restarted ? ResetStreams() : 0;
            PeerIncarnation = header.SenderIncarnation;
            _peerControlSequence = 0;
            // Whatever we send next carries our incarnation: that is how the peer learns it.
            AckNow(now);
            if (restarted)
            {
                Resets++;
                _sink.OnPeerReset(this, PeerIncarnation, discarded);
            }
        }
        bool data = header.Kind is FrameKind.Data or FrameKind.Bulk;
        if (!data)
        {
            if (header.Sequence <= _peerControlSequence)
            {
                return DropReason.Replayed;
            }
            _peerControlSequence = header.Sequence;
        }
        if (header.ReceiverIncarnation != LocalIncarnation)
        {
            AckNow(now);
            // 0: the peer has not heard from us yet (its hellos). Otherwise it talks to an
            // earlier incarnation of ours: its acks and data belong to a stream that is gone.
            // Either way the frame may have been recorded before we started: no sign of life.
            return header.ReceiverIncarnation == 0 && !data
                ? DropReason.None
                : DropReason.StaleIncarnation;
        }
        ApplyAcks(header, now);
        DropReason reason = DropReason.None;
        if (data)
        {
            reason = ReceiveData(header, frame, now);
        }
        else if (header.Kind == FrameKind.Hello)
        {
            AckNow(now);
        }
        if (reason == DropReason.None)
        {
            Heard(now);
        }
        return reason;
    }

    private void Heard(long now)
    {
        _lastHeard = now;
        if (State != PeerState.Up)
        {
            State = PeerState.Up;
            _sink.OnPeerStateChanged(this, PeerState.Up);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void ApplyAcks(in FrameHeader header, long now)
    {
        ulong ack = header.CumulativeAck;
        if (ack > _sent)
        {
            // Acknowledges frames never sent: a confused peer. Ignore its ack fields.
            return;
        }
        while (_una < ack)
        {
            ref SendSlot s = ref _send[(int)(_una & (ulong)_mask)];
            if (s.Retries == 0 && !s.Sacked)
            {
                _rtt.AddSample(now - s.FirstSent); // Karn: only frames sent once give a sample
            }
            ReleaseBulk(ref s);
            s = default;
            _una++;
        }
        ulong bits = header.SelectiveAcks;
        ulong highestSacked = 0;
        long latestSackedSend = long.MinValue;
        while (bits != 0)
        {
            int i = System.Numerics.BitOperations.TrailingZeroCount(bits);
            bits &= bits - 1;
            ulong seq = ack + 1 + (ulong)i;
            if (seq >= _sent)
            {
                break;
            }
            if (seq < _una)
            {
                continue;
            }
            ref SendSlot s = ref _send[(int)(seq & (ulong)_mask)];
            if (!s.Sacked)
            {
                s.Sacked = true;
                if (s.Retries == 0)
                {
                    _rtt.AddSample(now - s.FirstSent);
                }
            }
            highestSacked = seq;
            latestSackedSend = Math.Max(latestSackedSend, s.LastSent);
        }
        // A frame is presumed lost when three acks show frames that left after it did. Comparing
        // send times (as RACK does) keeps a frame just retransmitted from being counted again by
        // acks for frames that overtook its first copy.
        for (ulong seq = _una; seq < highestSacked; seq++)
        {
            ref SendSlot s = ref _send[(int)(seq & (ulong)_mask)];
            if (!s.Sacked && s.LastSent <= latestSackedSend && ++s.DupHits == 3)
            {
                s.FastRetransmit = true;
            }
        }
        if (ack >= _una)
        {
            _peerWindow = header.ReceiveWindow;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private DropReason ReceiveData(in FrameHeader header, ReadOnlySpan<byte> frame, long now)
    {
        ulong seq = header.Sequence;
        if (seq < _rcvNext)
        {
            AckNow(now); // a duplicate: our earlier ack may have been lost
            return DropReason.Duplicate;
        }
        if (seq >= _deliverBase + (ulong)_window)
        {
            AckNow(now);
            return DropReason.OutOfWindow;
        }
        int slot = (int)(seq & (ulong)_mask);
        ref ReceiveSlot r = ref _receive[slot];
        if (r.Present)
        {
            AckNow(now);
            return DropReason.Duplicate;
        }
        if (header.MessageCount > _perFrame)
        {
            // The peer's MTU is larger than ours: a configuration error, never stored.
            return DropReason.TooLong;
        }
        bool inOrder = seq == _rcvNext;
        ulong before = _rcvNext;
        if (header.Kind == FrameKind.Bulk)
        {
            ReadOnlySpan<byte> payload = frame.Slice(FrameDescriptor.HeaderLength, (int)header.PayloadLength);
            if (inOrder && _deliverBase == _rcvNext && DeliverBulk(payload))
            {
                // Its turn, and the sink took it straight from the datagram: no copy.
                _rcvNext++;
                _deliverBase++;
            }
            else
            {
                r.Bulk = System.Buffers.ArrayPool<byte>.Shared.Rent(payload.Length);
                payload.CopyTo(r.Bulk);
                r.BulkLength = payload.Length;
                r.Present = true;
                r.Count = 1;
            }
        }
        else
        {
            frame.Slice(FrameDescriptor.HeaderLength, (int)header.PayloadLength)
                .CopyTo(_receiveEntries.AsSpan(slot * _frameBytes, _frameBytes));
            r.Present = true;
            r.Count = header.MessageCount;
        }
        while (_rcvNext < _deliverBase + (ulong)_window && _receive[(int)(_rcvNext & (ulong)_mask)].Present)
        {
            _rcvNext++;
        }
        // Delayed ack (as TCP's): a lone in-order frame waits up to AckDelay for data going back
        // to carry the ack (a request's reply does, in a ping-pong). Every second frame, and any
        // frame out of order or filling a gap, is acknowledged at once so the sender's window
        // and loss detection keep moving.
        bool gap = !inOrder || _rcvNext - before > 1;
        if (++_unackedData >= 2 || gap)
        {
            AckNow(now);
        }
        else
        {
            AckLater(now);
        }
        Deliver(now);
        return DropReason.None;
    }

    private void AckNow(long now)
    {
        _ackPending = true;
        _ackDue = Math.Min(_ackDue, now);
    }

    private void AckLater(long now)
    {
        _ackPending = true;
        _ackDue = Math.Min(_ackDue, now + _ackDelay);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Deliver(long now)
    {
        DeliverInOrder();
        _sink.EndDeliveries(this);
        // After a refusal shrank the window we advertised, tell the peer it may send again.
        if (_advertisedWindow < (uint)(_window / 2) && ReceiveWindow > _advertisedWindow)
        {
            AckNow(now);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void DeliverInOrder()
    {
        while (_deliverBase < _rcvNext)
        {
            int slot = (int)(_deliverBase & (ulong)_mask);
            ref ReceiveSlot r = ref _receive[slot];
            if (r.Bulk is not null)
            {
                if (!DeliverBulk(r.Bulk.AsSpan(0, r.BulkLength)))
                {
                    return;
                }
                System.Buffers.ArrayPool<byte>.Shared.Return(r.Bulk);
                r = default;
                _deliverBase++;
                _deliverIndex = 0;
                continue;
            }
            while (_deliverIndex < r.Count)
            {
                ReadOnlySpan<byte> entry = _receiveEntries.AsSpan(
                    slot * _frameBytes + _deliverIndex * FrameDescriptor.EntryLength, FrameDescriptor.EntryLength);
                ReadOnlySpan<byte> message = FrameReader.ReadEntry(entry, out MessageHeader mh);
                if (!_sink.TryDeliver(this, mh, message))
                {
                    return;
                }
                _deliverIndex++;
                MessagesDelivered++;
            }
            r = default;
            _deliverBase++;
            _deliverIndex = 0;
        }
    }

    // The reordering window of RACK (RFC 8985): a frame that later frames overtook counts as lost
    // only once it is older than a round trip and a quarter; before that it may just be late.
    private long FastRetransmitAge => _rtt.SmoothedRtt + _rtt.SmoothedRtt / 4;

    private uint ReceiveWindow => (uint)(_deliverBase + (ulong)_window - _rcvNext);

    /// <summary>
    /// Does the time-driven work and fills <paramref name="output"/> (up to its capacity) with the
    /// frames to send now: hellos, retransmissions, new data, acks, heartbeats. Also retries a
    /// delivery the sink refused and declares the peer down after the configured silence.
    /// Returns the number of datagrams added. The batch's slots must hold an MTU. Allocates nothing.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public int Poll(long now, DatagramBatch output)
    {
        if (output.SlotSize < _mtu)
        {
            throw new ArgumentException("the batch's slots are smaller than the MTU", nameof(output));
        }
        int before = output.Count;
        // Silence counts only while this side listened. Polls come at least every heartbeat
        // interval (NextDeadline); a longer gap means our own threads did not run (CPU load at
        // start-up, a pause), and what the peer sent meanwhile waits unread in the socket: the
        // gap beyond one interval is not the peer's silence (issue 11.10).
        long gap = now - _lastPoll;
        if (gap > _heartbeatInterval)
        {
            _lastHeard = Math.Min(now, _lastHeard + gap - _heartbeatInterval);
        }
        _lastPoll = now;
        if (State != PeerState.Down && now - _lastHeard >= _peerDownAfter)
        {
            State = PeerState.Down;
            _sink.OnPeerStateChanged(this, PeerState.Down);
        }
        Deliver(now);
        if (PeerIncarnation == 0)
        {
            if (now >= _nextHello && !output.IsFull)
            {
                EmitControl(FrameKind.Hello, now, output);
                _nextHello = now + _heartbeatInterval;
            }
            return output.Count - before;
        }
        for (ulong seq = _una; seq < _sent && !output.IsFull; seq++)
        {
            ref SendSlot s = ref _send[(int)(seq & (ulong)_mask)];
            // Bulk frames go out through PollBulk.
            if (!s.Sacked && !s.IsBulk && TakeRetransmission(ref s, now))
            {
                EmitData(seq, now, output);
            }
        }
        // A Poll is the batching boundary: the partly filled frame is sealed and sent, unless the
        // peer's window or the batch has no room for it; then it keeps filling.
        if (_open - _una < (ulong)_window && _send[(int)(_open & (ulong)_mask)].Count > 0
            && _open < _una + _peerWindow && output.Count + (int)(_open - _sent) < output.Capacity)
        {
            _open++;
        }
        while (_sent < _open && _sent < _una + _peerWindow && !output.IsFull && !_send[(int)(_sent & (ulong)_mask)].IsBulk)
        {
            ref SendSlot s = ref _send[(int)(_sent & (ulong)_mask)];
            s.FirstSent = now;
            s.LastSent = now;
            EmitData(_sent, now, output);
            _sent++;
        }
        if (!output.IsFull && ((_ackPending && now >= _ackDue) || now - _lastFreshSent >= _heartbeatInterval))
        {
            EmitControl(_ackPending ? FrameKind.Ack : FrameKind.Heartbeat, now, output);
        }
        return output.Count - before;
    }

    /// <summary>
    /// Adds an ack frame to <paramref name="output"/> if one is due now, and nothing else (data,
    /// retransmissions and the open frame stay for <see cref="Poll"/>): lets the thread that
    /// receives acknowledge at once, without waking the thread that polls. Returns whether it
    /// added a frame. Allocates nothing.
    /// </summary>
    public bool TryAck(long now, DatagramBatch output)
    {
        if (PeerIncarnation == 0 || !_ackPending || now < _ackDue || output.IsFull)
        {
            return false;
        }
        EmitControl(FrameKind.Ack, now, output);
        return true;
    }

    /// <summary>
    /// The latest time the next <see cref="Poll"/> should run (a proxy blocks in receive until
    /// then): now when work is waiting, else the next retransmission, heartbeat or down verdict.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public long NextDeadline(long now)
    {
        // Frames the peer's window lets out now. While it is closed, nothing is due here: the
        // window reopens with a frame from the peer, which the caller hands to OnFrame.
        if ((_sent < _open && _sent < _una + _peerWindow)
            || (_open - _una < (ulong)_window && _send[(int)(_open & (ulong)_mask)].Count > 0
                && _open < _una + _peerWindow))
        {
            return now;
        }
        long deadline = State == PeerState.Down ? long.MaxValue : _lastHeard + _peerDownAfter;
        if (_ackPending)
        {
            deadline = Math.Min(deadline, _ackDue);
        }
        if (PeerIncarnation == 0)
        {
            return Math.Min(deadline, _nextHello);
        }
        deadline = Math.Min(deadline, _lastFreshSent + _heartbeatInterval);
        for (ulong seq = _una; seq < _sent; seq++)
        {
            ref SendSlot s = ref _send[(int)(seq & (ulong)_mask)];
            if (!s.Sacked)
            {
                deadline = Math.Min(deadline, s.LastSent + (s.FastRetransmit ? FastRetransmitAge : _rtt.Backoff(s.Retries)));
            }
        }
        return Math.Max(deadline, now);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void EmitData(ulong seq, long now, DatagramBatch output)
    {
        int slot = (int)(seq & (ulong)_mask);
        var writer = new FrameWriter(output.NextSlot[.._mtu]);
        writer.TryAppendEntries(_sendEntries.AsSpan(slot * _frameBytes, _send[slot].Count * FrameDescriptor.EntryLength));
        FrameHeader h = Header(FrameKind.Data);
        h.Sequence = seq;
        output.Commit(PeerNode, writer.Complete(h, _credentials));
        DataFramesSent++;
        Sent(now, fresh: seq >= _sent);
    }

    private void EmitControl(FrameKind kind, long now, DatagramBatch output)
    {
        var writer = new FrameWriter(output.NextSlot[..FrameDescriptor.MinFrameLength]);
        FrameHeader h = Header(kind);
        h.Sequence = ++_controlSequence;
        output.Commit(PeerNode, writer.Complete(h, _credentials));
        Sent(now, fresh: true);
    }

    private void Sent(long now, bool fresh)
    {
        FramesSent++;
        if (fresh)
        {
            _lastFreshSent = now;
        }
        _ackPending = false;
        _ackDue = long.MaxValue;
        _unackedData = 0;
    }

    private FrameHeader Header(FrameKind kind)
    {
        uint window = ReceiveWindow;
        _advertisedWindow = window;
        return new FrameHeader
        {
            Kind = kind,
            SourceNode = (ushort)LocalNode,
            DestinationNode = (ushort)PeerNode,
            SenderIncarnation = LocalIncarnation,
            ReceiverIncarnation = PeerIncarnation,
            CumulativeAck = _rcvNext,
            SelectiveAcks = SelectiveAcks(),
            ReceiveWindow = window,
        };
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private ulong SelectiveAcks()
    {
        ulong bits = 0;
        ulong limit = _deliverBase + (ulong)_window;
        for (int i = 0; i < FrameDescriptor.SelectiveAckBits; i++)
        {
            ulong seq = _rcvNext + 1 + (ulong)i;
            if (seq >= limit)
            {
                break;
            }
            if (_receive[(int)(seq & (ulong)_mask)].Present)
            {
                bits |= 1UL << i;
            }
        }
        return bits;
    }

    /// <summary>Both directions start over after the peer restarted; returns the outbound
    /// messages dropped.</summary>
    private int ResetStreams()
    {
        int discarded = 0;
        for (ulong seq = _una; seq <= _open && seq - _una < (ulong)_window; seq++)
        {
            discarded += _send[(int)(seq & (ulong)_mask)].Count;
        }
        for (int i = 0; i < _window; i++)
        {
            ReleaseBulk(ref _send[i]);
            if (_receive[i].Bulk is byte[] kept)
            {
                System.Buffers.ArrayPool<byte>.Shared.Return(kept);
            }
        }
        Array.Clear(_send);
        Array.Clear(_receive);
        _una = _sent = _open = 0;
        _deliverBase = _rcvNext = 0;
        _deliverIndex = 0;
        _peerWindow = (uint)_window;
        _advertisedWindow = (uint)_window;
        return discarded;
    }
}
