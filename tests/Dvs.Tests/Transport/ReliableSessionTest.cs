using Dvs.Transport;
using NUnit.Framework;
using static Dvs.Tests.Transport.TransportTestKit;

namespace Dvs.Tests.Transport;

/// <summary>ReliableSession on virtual time over an in-memory network (deterministic).</summary>
public sealed class ReliableSessionTest
{
    private const long Ms = TimeSpan.TicksPerMillisecond;
    private const long Step = Ms / 10;

    private static SessionOptions Options(int window = 64) => new()
    {
        WindowFrames = window,
        InitialRto = TimeSpan.FromMilliseconds(100),
        MinRto = TimeSpan.FromMilliseconds(5),
        MaxRto = TimeSpan.FromMilliseconds(800),
        HeartbeatInterval = TimeSpan.FromMilliseconds(200),
        PeerDownAfter = TimeSpan.FromSeconds(10),
    };

    private sealed class Pair
    {
        public Pair(LossyNetwork network, SessionOptions options)
        {
            Network = network;
            Options = options;
            A = new SessionNode(NodeA, NodeB, 1000, network.Connect(NodeA), options, 0);
            B = new SessionNode(NodeB, NodeA, 2000, network.Connect(NodeB), options, 0);
        }

        public LossyNetwork Network { get; }

        public SessionOptions Options { get; }

        public SessionNode A { get; }

        public SessionNode B { get; set; }

        public long Now { get; private set; }

        public bool PumpA { get; set; } = true;

        public bool PumpB { get; set; } = true;

        public void Tick()
        {
            Now += Step;
            Network.Now = Now;
            if (PumpA)
            {
                A.Flush(Now);
                A.Pump(Now);
            }
            if (PumpB)
            {
                B.Flush(Now);
                B.Pump(Now);
            }
        }

        public void RunUntil(Func<bool> done, long maxTicks, string what)
        {
            long end = Now + maxTicks;
            while (!done())
            {
                if (Now > end)
                {
                    Assert.Fail($"not done after {maxTicks / Ms} ms of virtual time: {what}; " +
                        $"A got {A.Sink.Next}, B got {B.Sink.Next}; A drops: {A.Drops}; B drops: {B.Drops}");
                }
                Tick();
            }
        }

        public void Handshake() =>
            RunUntil(() => A.Session.State == PeerState.Up && B.Session.State == PeerState.Up
                && A.Session.PeerIncarnation != 0 && B.Session.PeerIncarnation != 0, 1000 * Ms, "handshake");
    }

    [TestCase(1)]
    [TestCase(2)]
    public void HundredThousandMessagesEachWayArriveOnceInOrderDespiteLossDuplicationAndReordering(int seed)
    {
        const long total = 100_000;
        var network = new LossyNetwork(seed, drop: 0.10, duplicate: 0.10, reorder: 0.25, latency: Ms);
        var pair = new Pair(network, Options(window: 64));
        var burst = new Random(seed);

        pair.RunUntil(() =>
        {
            // Bursts of varying size make frames of every fill level.
            pair.A.Offer(burst.Next(0, 60), total);
            pair.B.Offer(burst.Next(0, 60), total);
            return pair.A.Sink.Next == total && pair.B.Sink.Next == total;
        }, 600_000 * Ms, "100,000 messages each way");

        Assert.Multiple(() =>
        {
            Assert.That(pair.B.Sink.FirstError, Is.Null);
            Assert.That(pair.A.Sink.FirstError, Is.Null);
            Assert.That(pair.B.Session.MessagesDelivered, Is.EqualTo(total));
            Assert.That(pair.A.Session.MessagesDelivered, Is.EqualTo(total));
            // The faults really happened and were handled by the mechanisms meant for them.
            Assert.That(network.Dropped, Is.GreaterThan(0));
            Assert.That(network.Duplicated, Is.GreaterThan(0));
            Assert.That(network.Reordered, Is.GreaterThan(0));
            Assert.That(pair.B.Drops[DropReason.Duplicate], Is.GreaterThan(0));
            Assert.That(pair.A.Session.Retransmissions, Is.GreaterThan(0));
            Assert.That(pair.A.Session.FastRetransmissions, Is.GreaterThan(0));
            Assert.That(pair.A.Session.Resets + pair.B.Session.Resets, Is.Zero);
            Assert.That(pair.A.Sink.States, Is.EqualTo(new[] { PeerState.Up }));
        });
    }

    [Test]
    public void PeersLearnEachOthersIncarnationThroughHellos()
    {
        var pair = new Pair(new LossyNetwork(3, 0, 0, 0, Ms), Options());
        Assert.That(pair.A.Session.State, Is.EqualTo(PeerState.Unknown));

        pair.Handshake();

        Assert.That(pair.A.Session.PeerIncarnation, Is.EqualTo(2000));
        Assert.That(pair.B.Session.PeerIncarnation, Is.EqualTo(1000));
    }

    [Test]
    public void MessagesOfferedBeforeTheHandshakeWaitForItAndArrive()
    {
        var pair = new Pair(new LossyNetwork(4, 0, 0, 0, Ms), Options());
        pair.A.Offer(100, 100);
        Assert.That(pair.A.Offered, Is.EqualTo(100));

        pair.RunUntil(() => pair.B.Sink.Next == 100, 1000 * Ms, "delivery after the handshake");

        Assert.That(pair.B.Sink.FirstError, Is.Null);
    }

    [Test]
    public void FullWindowBackPressuresTheSenderAndMemoryStaysBounded()
    {
        SessionOptions options = Options(window: 8);
        var pair = new Pair(new LossyNetwork(5, 0, 0, 0, Ms), options);
        pair.Handshake();
        pair.PumpB = false; // B hears nothing and acks nothing

        pair.A.Offer(1_000_000, 1_000_000);
        int capacity = options.WindowFrames * pair.A.Session.MessagesPerFrame;
        Assert.That(pair.A.Offered, Is.EqualTo(capacity));
        Assert.That(pair.A.BackPressured, Is.EqualTo(1));
        Assert.That(pair.A.Session.SendCapacity, Is.Zero);

        // Time passes with retransmissions, and the sender still cannot queue more.
        for (int i = 0; i < 20_000; i++)
        {
            pair.Tick();
            pair.A.Offer(10, 1_000_000);
        }
        Assert.That(pair.A.Offered, Is.EqualTo(capacity));
        Assert.That(pair.A.Session.Retransmissions, Is.GreaterThan(0));

        pair.PumpB = true;
        pair.RunUntil(() => pair.B.Sink.Next == capacity, 5000 * Ms, "delivery once B listens again");
        pair.RunUntil(() =>
        {
            pair.A.Offer(50, 2 * capacity);
            return pair.B.Sink.Next == 2 * capacity;
        }, 5000 * Ms, "more messages once the window opened");
        Assert.That(pair.B.Sink.FirstError, Is.Null);
    }

    [Test]
    public void SlowReceiverShrinksTheWindowSoTheSenderStopsInsteadOfLosingMessages()
    {
        SessionOptions options = Options(window: 8);
        var pair = new Pair(new LossyNetwork(6, 0, 0, 0, Ms), options);
        pair.Handshake();
        pair.B.Sink.Accepting = false; // B's local destination is full

        for (int i = 0; i < 20_000; i++)
        {
            pair.A.Offer(20, long.MaxValue);
            pair.Tick();
        }

        int perWindow = options.WindowFrames * pair.A.Session.MessagesPerFrame;
        Assert.Multiple(() =>
        {
            Assert.That(pair.A.BackPressured, Is.GreaterThan(0));
            // B holds at most one window, A at most one window: nothing else was accepted.
            Assert.That(pair.A.Offered, Is.LessThanOrEqualTo(2 * perWindow));
            Assert.That(pair.B.Session.MessagesDelivered, Is.Zero);
            // A respected the window B advertised: it never sent what B would have to drop.
            Assert.That(pair.B.Drops[DropReason.OutOfWindow], Is.Zero);
        });

        long offered = pair.A.Offered;
        pair.B.Sink.Accepting = true;
        pair.RunUntil(() => pair.B.Sink.Next == offered, 5000 * Ms, "delivery once B accepts again");
        Assert.That(pair.B.Sink.FirstError, Is.Null);
        Assert.That(pair.B.Session.MessagesDelivered, Is.EqualTo(offered));
    }

    [Test]
    public void RestartedPeerResetsTheSessionAndFramesOfTheOldIncarnationAreDropped()
    {
        var network = new LossyNetwork(7, 0, 0, 0, Ms);
        SessionOptions options = Options();
        var pair = new Pair(network, options);
        pair.Handshake();
        pair.RunUntil(() =>
        {
            pair.A.Offer(20, 1000);
            pair.B.Offer(20, 1000);
            return pair.B.Sink.Next == 1000 && pair.A.Sink.Next == 1000;
        }, 10_000 * Ms, "traffic before the restart");
        pair.RunUntil(() => pair.A.Session.FramesInFlight == 0, 1000 * Ms, "all acknowledged");

        // A frame of B's first incarnation, to replay after the restart.
        var captured = new DatagramBatch(4, options.Mtu);
        pair.B.Session.Poll(pair.Now + options.HeartbeatInterval.Ticks, captured);
        byte[] oldFrame = captured[0].ToArray();

        // B dies with 500 messages from A in flight (sent, never acknowledged).
        pair.PumpB = false;
        pair.A.RestartNumbering();
        pair.A.Offer(500, 500);
        pair.Tick();
        Assert.That(pair.A.Session.FramesInFlight, Is.GreaterThan(0));

        pair.B = new SessionNode(NodeB, NodeA, 2001, network.Connect(NodeB), options, pair.Now);
        pair.PumpB = true;
        pair.RunUntil(() => pair.A.Sink.Resets.Count == 1, 5000 * Ms, "A notices B's new incarnation");

        Assert.That(pair.A.Sink.Resets[0], Is.EqualTo((2001UL, 500)));
        Assert.That(pair.A.Session.PeerIncarnation, Is.EqualTo(2001));
        Assert.That(pair.A.Session.Resets, Is.EqualTo(1));

        // A's retransmissions addressed to B's old incarnation reached the new B and were refused.
        Assert.That(pair.B.Drops[DropReason.StaleIncarnation], Is.GreaterThan(0));
        Assert.That(pair.B.Session.MessagesDelivered, Is.Zero);

        // The old incarnation's frame is refused by A now.
        Assert.That(pair.A.Reader.TryRead(oldFrame, out FrameHeader h), Is.EqualTo(DropReason.None));
        long stale = pair.A.Drops[DropReason.StaleIncarnation];
        Assert.That(pair.A.Session.OnFrame(h, oldFrame, pair.Now), Is.EqualTo(DropReason.StaleIncarnation));
        Assert.That(pair.A.Drops[DropReason.StaleIncarnation], Is.EqualTo(stale + 1));

        // Both directions start over from sequence 0 and work.
        pair.A.RestartNumbering();
        pair.RunUntil(() =>
        {
            pair.A.Offer(20, 1000);
            pair.B.Offer(20, 1000);
            return pair.B.Sink.Next == 1000 && pair.A.Sink.Next == 1000;
        }, 10_000 * Ms, "traffic after the restart");
        Assert.That(pair.B.Sink.FirstError, Is.Null);
        Assert.That(pair.A.Sink.FirstError, Is.Null);
    }

    [Test]
    public void SilentPeerIsDeclaredDownAndUpAgainWhenItSpeaks()
    {
        SessionOptions options = Options();
        options.PeerDownAfter = TimeSpan.FromSeconds(1);
        var pair = new Pair(new LossyNetwork(8, 0, 0, 0, Ms), options);
        pair.Handshake();
        pair.RunUntil(() => pair.A.Session.NextDeadline(pair.Now) > pair.Now, 100 * Ms, "quiet");

        // Heartbeats keep an idle but alive peer up.
        long until = pair.Now + 3 * options.PeerDownAfter.Ticks;
        pair.RunUntil(() => pair.Now >= until, 4 * options.PeerDownAfter.Ticks, "idle time");
        Assert.That(pair.A.Session.State, Is.EqualTo(PeerState.Up));

        pair.PumpB = false;
        long silentSince = pair.Now;
        pair.RunUntil(() => pair.A.Session.State == PeerState.Down, 2 * options.PeerDownAfter.Ticks, "down verdict");

        Assert.That(pair.Now - silentSince, Is.GreaterThanOrEqualTo(options.PeerDownAfter.Ticks - options.HeartbeatInterval.Ticks));
        Assert.That(pair.A.Sink.States, Is.EqualTo(new[] { PeerState.Up, PeerState.Down }));
        Assert.That(pair.A.Session.TrySend(new MessageHeader(0, 1, 1, 0, 0), Message(0)), Is.EqualTo(SendStatus.PeerDown));

        pair.PumpB = true;
        pair.RunUntil(() => pair.A.Session.State == PeerState.Up, options.PeerDownAfter.Ticks, "up again");
        Assert.That(pair.A.Sink.States, Is.EqualTo(new[] { PeerState.Up, PeerState.Down, PeerState.Up }));
        Assert.That(pair.A.Session.TrySend(new MessageHeader(0, 1, 0, 0, 0), Message(0)), Is.EqualTo(SendStatus.Ok));
    }

    [Test]
    public void RetransmissionBacksOffExponentiallyUpToTheBound()
    {
        SessionOptions options = Options();
        var network = new LossyNetwork(9, 0, 0, 0, Ms);
        var pair = new Pair(network, options);
        pair.Handshake();
        pair.PumpA = false;
        network.Silenced.Add(NodeA);

        // Drive A by hand and note when data frame 0 leaves.
        pair.A.Offer(1, 1);
        var batch = new DatagramBatch(64, options.Mtu);
        var reader = ReaderAtB(mtu: options.Mtu);
        var sent = new List<long>();
        for (long now = pair.Now; now < pair.Now + 5000 * Ms; now += Ms)
        {
            batch.Clear();
            pair.A.Session.Poll(now, batch);
            for (int i = 0; i < batch.Count; i++)
            {
                if (reader.TryRead(batch[i], out FrameHeader h) == DropReason.None && h.Kind == FrameKind.Data)
                {
                    sent.Add(now);
                }
            }
        }

        var gaps = sent.Zip(sent.Skip(1), (a, b) => (b - a) / Ms).ToArray();
        Assert.That(gaps.Take(5), Is.EqualTo(new long[] { 100, 200, 400, 800, 800 }));
        Assert.That(gaps, Is.All.LessThanOrEqualTo(800));
    }

    [Test]
    public void RoundTripEstimateFollowsTheNetwork()
    {
        var pair = new Pair(new LossyNetwork(10, 0, 0, 0, latency: 2 * Ms), Options());
        pair.Handshake();
        pair.RunUntil(() =>
        {
            pair.A.Offer(5, 5000);
            return pair.B.Sink.Next == 5000;
        }, 10_000 * Ms, "traffic");

        // 2 ms each way, measured with a 0.1 ms step, acks sent at the next step.
        Assert.That(pair.A.Session.SmoothedRtt, Is.InRange(4 * Ms, 4 * Ms + 3 * Step));
        Assert.That(pair.A.Session.RetransmissionTimeout, Is.InRange(5 * Ms, 10 * Ms));
        Assert.That(pair.A.Session.Retransmissions, Is.Zero);
    }

    [Test]
    public void OptionsOutOfRangeAreRefused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new SessionOptions { WindowFrames = 100 }.Validate());
        Assert.Throws<ArgumentOutOfRangeException>(() => new SessionOptions { Mtu = 100 }.Validate());
        Assert.Throws<ArgumentOutOfRangeException>(() => new SessionOptions { MaxRto = TimeSpan.FromMilliseconds(1) }.Validate());
        Assert.Throws<ArgumentOutOfRangeException>(() =>
            new SessionOptions { PeerDownAfter = TimeSpan.FromMilliseconds(100) }.Validate());
    }

    [Test]
    public void InvalidMessagesAreRefusedWithAStatus()
    {
        var pair = new Pair(new LossyNetwork(11, 0, 0, 0, Ms), Options());
        Assert.That(pair.A.Session.TrySend(new MessageHeader(0, 1, 0, 0, 0), new byte[10]), Is.EqualTo(SendStatus.Invalid));
        Assert.That(pair.A.Session.TrySend(new MessageHeader(32, 1, 0, 0, 0), Message(0)), Is.EqualTo(SendStatus.Invalid));
    }
}
