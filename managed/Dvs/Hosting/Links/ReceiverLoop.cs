using System.Runtime.CompilerServices;
using Dvs.Ipc;
using Dvs.Layout;
using Dvs.Transport;
using Microsoft.Extensions.Logging;

namespace Dvs.Hosting.Links;

/// <summary>
/// The node proxy's inbound thread: receives a batch of datagrams (recvmmsg, blocking), validates
/// every frame (HMAC, cluster, node, lengths, sender address: bad ones are dropped and counted),
/// hands it to its peer's session under the session's gate (which delivers what it carries to
/// the proxy, <see cref="ISessionSink"/>), sends the acks due, and wakes the sender loop.
/// </summary>
internal sealed unsafe class ReceiverLoop
{
    /// <summary>The sender of an injected datagram: it has no address to check.</summary>
    private const int InjectedSender = int.MinValue;

    private readonly IDatagramChannel _channel;
    private readonly FrameReader _reader;
    private readonly DropCounters _drops;
    private readonly ReliableSession?[] _sessions;
    private readonly DatagramSender _sender;
    private readonly DatagramBatch _inBatch = new(64, FrameDescriptor.MaxFrameLength);
    // Up to one ack per two frames of a receive batch (64 datagrams), all in one sendmmsg.
    private readonly DatagramBatch _ackBatch = new(64, FrameDescriptor.MinFrameLength);
    private readonly ulong* _counters;
    private readonly EndpointSlot* _proxySlot;
    private readonly ILogger _log;
    private readonly Clock _clock;
    private volatile bool _stopping;

    /// <param name="channel">The network (the receiver is its only reader).</param>
    /// <param name="reader">Validates frames.</param>
    /// <param name="drops">Why frames were dropped, for the sessions' counters.</param>
    /// <param name="sessions">The peers' sessions by node id (null: not a peer).</param>
    /// <param name="sender">Sends the acks.</param>
    /// <param name="counters">The node's counters (in the segment).</param>
    /// <param name="proxySlot">The proxy's slot: its doorbell wakes the sender loop.</param>
    /// <param name="log">For failed receives.</param>
    /// <param name="clock">The time the sessions' timers run on.</param>
    public ReceiverLoop(IDatagramChannel channel, FrameReader reader, DropCounters drops, ReliableSession?[] sessions,
        DatagramSender sender, ulong* counters, EndpointSlot* proxySlot, ILogger log, Clock clock)
    {
        _clock = clock;
        _channel = channel;
        _reader = reader;
        _drops = drops;
        _sessions = sessions;
        _sender = sender;
        _counters = counters;
        _proxySlot = proxySlot;
        _log = log;
    }

    /// <summary>Ends <see cref="Run"/> within its receive timeout (100 ms).</summary>
    public void Stop() => _stopping = true;

    /// <summary>The inbound thread's body, until <see cref="Stop"/>.</summary>
    public void Run()
    {
        while (!_stopping)
        {
            PollOnce(100);
        }
    }

    /// <summary>
    /// One pass: waits up to <paramref name="timeoutMilliseconds"/> for a batch, hands its frames
    /// to their sessions, sends the acks due and wakes the sender loop. The thread's loop, and the
    /// node-host harness (timeout 0), which runs the passes of several hosts from one thread.
    /// </summary>
    /// <param name="timeoutMilliseconds">How long to wait for a datagram (0: not at all).</param>
    /// <returns>How many datagrams came.</returns>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public int PollOnce(int timeoutMilliseconds)
    {
        int n = ReceiveBatch(timeoutMilliseconds);
        if (n <= 0)
        {
            return 0;
        }
        long now = _clock.NowTicks;
        for (int i = 0; i < n; i++)
        {
            Receive(_inBatch[i], _inBatch.Peer(i), now);
        }
        SendAcks();
        WakeSender();
        return n;
    }

    /// <summary>
    /// Tests and the fuzzer (tests/Dvs.Fuzz): takes <paramref name="datagram"/> as if it had been
    /// received from the network. Only where no peer sends to this node: the inbound thread owns
    /// the receive path, and this runs it on the caller's thread.
    /// </summary>
    /// <param name="datagram">The frame.</param>
    public void ReceiveInjected(ReadOnlySpan<byte> datagram)
    {
        Receive(datagram, InjectedSender, _clock.NowTicks);
        SendAcks();
        WakeSender();
    }

    /// <summary>Blocks for the next batch (up to <paramref name="timeoutMilliseconds"/>); 0 when none came or the receive failed.</summary>
    private int ReceiveBatch(int timeoutMilliseconds)
    {
        try
        {
            // Blocking: with several node hosts and their applications on two cores, a spinning
            // receiver slowed round trips (p50 215 -> 323 us).
            return _channel.Receive(_inBatch, timeoutMilliseconds);
        }
        catch (Exception e) when (e is System.Net.Sockets.SocketException or DvsException)
        {
            _log.LogDebug(e, "receive failed");
            return 0;
        }
    }

    /// <summary>One received datagram: validated, then taken by its peer's session, which delivers
    /// what it carries.</summary>
    /// <param name="sender">The peer the channel says sent it (by its configured address; -1: none of
    /// them), or <see cref="InjectedSender"/>.</param>
    /// <param name="now">The receive batch's time.</param>
    /// <param name="datagram">The frame.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]   // the loop's body, as it was before it had a name
    private void Receive(ReadOnlySpan<byte> datagram, int sender, long now)
    {
        Count(NodeCounter.BytesReceived, datagram.Length);
        DropReason reason = _reader.TryRead(datagram, out FrameHeader header);
        if (reason != DropReason.None)
        {
            Count(CounterOf(reason));
            return;
        }
        if (sender != header.SourceNode && sender != InjectedSender && _channel.NamesSenders)
        {
            // Authentic, but not from the peer's configured address: a recorded frame replayed
            // from elsewhere must not pass for the peer (issue 11.2).
            _drops.Increment(DropReason.WrongAddress);
            Count(NodeCounter.DropWrongAddress);
            return;
        }
        Count(NodeCounter.FramesReceived);
        ReliableSession? session = _sessions[header.SourceNode];
        if (session is null)
        {
            Count(NodeCounter.DropUnknownNode);
            return;
        }
        lock (session.Gate)
        {
            reason = session.OnFrame(header, datagram, now);
            // An ack due now goes out from here (after the batch): waking the sender loop for it
            // took up to milliseconds on a busy CPU, and the peer retransmitted meanwhile
            // (16 KiB frames: 25% of the data frames sent twice).
            session.TryAck(now, _ackBatch);
        }
        if (reason != DropReason.None)
        {
            Count(CounterOf(reason));
        }
    }

    /// <summary>Sends the acks the last receive batch made due (one sendmmsg).</summary>
    private void SendAcks() => _sender.Send(_ackBatch);

    /// <summary>
    /// Acks not due yet (and messages the deliveries unblocked) go out from the sender loop; wake
    /// it if it sleeps. Always, not only for work due before its own deadline: its spin after
    /// this wake-up keeps the CPU awake for the message that follows (cross-node SendRec with
    /// Blocking endpoints went from 1.0-1.1x to 1.5x the UDP floor without it).
    /// </summary>
    private void WakeSender()
    {
        Interlocked.MemoryBarrier();
        Doorbell.Ring(_proxySlot);
    }

    private void Count(NodeCounter counter, long by = 1) => Interlocked.Add(ref *(long*)&_counters[(int)counter], by);

    internal static NodeCounter CounterOf(DropReason reason) => reason switch
    {
        DropReason.BadHmac => NodeCounter.DropBadHmac,
        DropReason.WrongCluster => NodeCounter.DropWrongCluster,
        DropReason.UnknownNode or DropReason.WrongDestination => NodeCounter.DropUnknownNode,
        DropReason.StaleIncarnation => NodeCounter.DropStaleIncarnation,
        DropReason.Duplicate or DropReason.OutOfWindow or DropReason.Replayed => NodeCounter.DropDuplicate,
        DropReason.WrongAddress => NodeCounter.DropWrongAddress,
        _ => NodeCounter.DropMalformed,
    };
}
