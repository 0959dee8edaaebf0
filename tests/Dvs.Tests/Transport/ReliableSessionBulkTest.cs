using Dvs.Transport;
using NUnit.Framework;
using static Dvs.Tests.Transport.TransportTestKit;

namespace Dvs.Tests.Transport;

/// <summary>Bulk frames (TrySendBulk / PollBulk) in the same ordered, reliable sequence as messages,
/// on virtual time over the in-memory lossy network.</summary>
public sealed class ReliableSessionBulkTest
{
    private const long Ms = TimeSpan.TicksPerMillisecond;
    private const int BulkMtu = 8192;

    private static SessionOptions Options() => new()
    {
        WindowFrames = 64,
        BulkMtu = BulkMtu,
        BulkWindowBytes = 16 * BulkMtu,
        InitialRto = TimeSpan.FromMilliseconds(100),
        MinRto = TimeSpan.FromMilliseconds(5),
        MaxRto = TimeSpan.FromMilliseconds(800),
        HeartbeatInterval = TimeSpan.FromMilliseconds(200),
        PeerDownAfter = TimeSpan.FromSeconds(10),
    };

    /// <summary>Records what a session delivers, messages and bulk frames alike, in order.</summary>
    private sealed class Sink : ISessionSink
    {
        public List<string> Events { get; } = new();
        public List<byte> Bytes { get; } = new();

        public bool TryDeliver(ReliableSession session, in MessageHeader header, ReadOnlySpan<byte> message)
        {
            Events.Add($"m{MessageValue(message)}");
            return true;
        }

        public bool TryDeliverBulk(ReliableSession session, in MessageHeader header, ReadOnlySpan<byte> data)
        {
            Events.Add($"b{header.RequestSequence}");
            if (header.RequestSequence != (uint)Bytes.Count)
            {
                Events.Add($"gap: {Bytes.Count}");
            }
            Bytes.AddRange(data.ToArray());
            return true;
        }

        public void OnPeerStateChanged(ReliableSession session, PeerState state)
        {
        }

        public void OnPeerReset(ReliableSession session, ulong newIncarnation, int discardedMessages)
        {
        }
    }

    private sealed class Node(int id, int peer, ulong incarnation, LossyNetwork network, SessionOptions options)
    {
        private readonly DatagramBatch _out = new(16, options.Mtu);
        private readonly DatagramBatch _bulk = new(4, BulkMtu);
        private readonly DatagramBatch _in = new(64, BulkMtu + 1);
        private readonly IDatagramChannel _channel = network.Connect(id);
        private readonly FrameReader _reader = new(Credentials, id, (1UL << id) | (1UL << peer), BulkMtu, new DropCounters());

        public Sink Sink { get; } = new();

        public ReliableSession Create(SessionOptions o) => new(o, Credentials, id, peer, incarnation, Sink, new DropCounters(), 0);

        public void Flush(ReliableSession session, long now)
        {
            while (true)
            {
                _out.Clear();
                _bulk.Clear();
                int n = session.Poll(now, _out);
                int b = session.BulkInFlight > 0 ? session.PollBulk(now, _bulk) : 0;
                _channel.Send(_out);
                _channel.Send(_bulk);
                if (b == 0 && !_out.IsFull)
                {
                    return;
                }
            }
        }

        public void Pump(ReliableSession session, long now)
        {
            while (_channel.Receive(_in, 0) > 0)
            {
                for (int i = 0; i < _in.Count; i++)
                {
                    if (_reader.TryRead(_in[i], out FrameHeader h) == DropReason.None)
                    {
                        session.OnFrame(h, _in[i], now);
                    }
                }
            }
        }
    }

    [TestCase(3)]
    [TestCase(4)]
    public void MessagesAndBulkFramesArriveOnceInTheirOrderDespiteLossDuplicationAndReordering(int seed)
    {
        var network = new LossyNetwork(seed, drop: 0.10, duplicate: 0.10, reorder: 0.25, latency: Ms);
        SessionOptions options = Options();
        var a = new Node(NodeA, NodeB, 1000, network, options);
        var b = new Node(NodeB, NodeA, 2000, network, options);
        ReliableSession sa = a.Create(options);
        ReliableSession sb = b.Create(options);
        byte[] state = Enumerable.Range(0, 600_000).Select(i => (byte)(i % 251)).ToArray();
        var expected = new List<string>();
        long now = 0;
        long message = 0;
        int offset = 0;
        var random = new Random(seed);
        while (b.Sink.Events.Count < expected.Count || offset < state.Length)
        {
            Assert.That(now, Is.LessThan(600_000 * Ms), $"not done: {b.Sink.Events.Count} of {expected.Count} delivered");
            // Messages and chunks of the state interleaved, as a migration's OFFER, DATA, PREPARE.
            for (int k = random.Next(0, 4); k > 0; k--)
            {
                if (random.Next(3) == 0 && offset < state.Length)
                {
                    int n = Math.Min(random.Next(1, sa.BulkCapacity + 1), state.Length - offset);
                    var header = new MessageHeader(1, 31, 10, 7, (uint)offset);
                    if (sa.TrySendBulk(header, state.AsMemory(offset, n)) != SendStatus.Ok)
                    {
                        break;
                    }
                    expected.Add($"b{offset}");
                    offset += n;
                }
                else
                {
                    if (sa.TrySend(new MessageHeader(1, 1, 10, 0, (uint)message), Message(message)) != SendStatus.Ok)
                    {
                        break;
                    }
                    expected.Add($"m{message++}");
                }
            }
            now += Ms / 10;
            network.Now = now;
            a.Flush(sa, now);
            b.Flush(sb, now);
            a.Pump(sa, now);
            b.Pump(sb, now);
        }
        Assert.That(b.Sink.Events, Is.EqualTo(expected), "every message and bulk frame once, in the order queued");
        Assert.That(b.Sink.Bytes.ToArray(), Is.EqualTo(state), "the state's bytes, intact");
        Assert.That(sa.Retransmissions, Is.Positive, "the network lost frames, bulk ones among them");
        Assert.That(sa.BulkInFlight, Is.LessThanOrEqualTo(16), "bounded by the bulk window");
        TestContext.Out.WriteLine($"virtual {now / Ms} ms, {expected.Count} items, {sa.DataFramesSent} data frames, {sa.Retransmissions} retransmissions");
    }

    [Test]
    public void ABulkFrameLargerThanTheCapacityIsRefusedAndAFullBulkWindowBackPressures()
    {
        var network = new LossyNetwork(1, drop: 0, duplicate: 0, reorder: 0, latency: Ms);
        SessionOptions options = Options();
        var a = new Node(NodeA, NodeB, 1000, network, options);
        ReliableSession sa = a.Create(options);
        byte[] data = new byte[sa.BulkCapacity + 1];
        Assert.That(sa.BulkCapacity, Is.EqualTo(BulkMtu - FrameDescriptor.MinFrameLength - FrameDescriptor.MessageHeaderLength));
        Assert.That(sa.TrySendBulk(default, data), Is.EqualTo(SendStatus.Invalid));
        int accepted = 0;
        while (sa.TrySendBulk(default, data.AsMemory(0, sa.BulkCapacity)) == SendStatus.Ok)
        {
            accepted++;
        }
        Assert.That(accepted, Is.EqualTo(16), "16 frames of 8 KiB: the 128 KiB bulk window");
    }
}
