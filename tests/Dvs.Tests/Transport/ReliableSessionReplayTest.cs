using Dvs.Transport;
using NUnit.Framework;
using static Dvs.Tests.Transport.TransportTestKit;

namespace Dvs.Tests.Transport;

/// <summary>
/// Liveness comes only from fresh frames (issue 11.2): frames an eavesdropper recorded from a peer
/// that died pass the HMAC, but replayed they carry old sequences and must not keep it up.
/// </summary>
public sealed class ReliableSessionReplayTest
{
    private const long Ms = TimeSpan.TicksPerMillisecond;

    private static SessionOptions Options() => new()
    {
        WindowFrames = 64,
        HeartbeatInterval = TimeSpan.FromMilliseconds(200),
        PeerDownAfter = TimeSpan.FromSeconds(1),
    };

    [Test]
    public void ReplayedFramesOfADeadPeerDoNotKeepItUp()
    {
        var network = new LossyNetwork(21, 0, 0, 0, Ms) { Tap = new() };
        var pair = new SessionPair(network, Options());
        pair.Handshake();
        // Traffic both ways and idle time: the tap records data, acks and heartbeats of B.
        pair.RunUntil(() =>
        {
            pair.A.Offer(20, 2000);
            pair.B.Offer(20, 2000);
            return pair.A.Sink.Next == 2000 && pair.B.Sink.Next == 2000;
        }, 10_000 * Ms, "traffic");
        long idleUntil = pair.Now + 3 * Options().HeartbeatInterval.Ticks;
        pair.RunUntil(() => pair.Now >= idleUntil, 10_000 * Ms, "idle");
        byte[][] captured = network.Tap!.Where(t => t.From == NodeB).Select(t => t.Data).ToArray();
        Assert.That(captured.Select(KindOf).Distinct(), Is.SupersetOf(new[] { FrameKind.Data, FrameKind.Heartbeat }));

        // B dies; someone replays everything B ever sent, in order, over and over.
        pair.PumpB = false;
        network.Silenced.Add(NodeB);
        int next = 0;
        long diedAt = pair.Now;
        pair.RunUntil(() =>
        {
            for (int i = 0; i < 5; i++)
            {
                byte[] frame = captured[next++ % captured.Length];
                if (pair.A.Reader.TryRead(frame, out FrameHeader h) == DropReason.None)
                {
                    pair.A.Session.OnFrame(h, frame, pair.Now);
                }
            }
            return pair.A.Session.State == PeerState.Down;
        }, 10 * Options().PeerDownAfter.Ticks, "B declared down despite the replay");

        Assert.That(pair.Now - diedAt, Is.LessThan(2 * Options().PeerDownAfter.Ticks));
        Assert.That(pair.A.Drops[DropReason.Replayed] + pair.A.Drops[DropReason.Duplicate], Is.GreaterThan(0));
        Assert.That(pair.A.Sink.Next, Is.EqualTo(2000), "a replay delivers nothing twice");
        Assert.That(pair.A.Session.TrySend(new MessageHeader(0, 1, 1, 0, 0), Message(0)), Is.EqualTo(SendStatus.PeerDown));
    }

    [Test]
    public void ReplayedHelloAfterOurRestartDoesNotBringADeadPeerUp()
    {
        var network = new LossyNetwork(22, 0, 0, 0, Ms) { Tap = new() };
        var pair = new SessionPair(network, Options());
        pair.Handshake();
        long idleUntil = pair.Now + 3 * Options().HeartbeatInterval.Ticks;
        pair.RunUntil(() => pair.Now >= idleUntil, 10_000 * Ms, "idle");
        byte[][] captured = network.Tap!.Where(t => t.From == NodeB).Select(t => t.Data).ToArray();

        // B dies; A restarts (a new incarnation) and hears only B's recorded frames.
        var a = new SessionNode(NodeA, NodeB, 1001, network.Connect(NodeA), Options(), pair.Now);
        long start = pair.Now;
        var batch = new DatagramBatch(64, Options().Mtu);
        for (long now = start; now < start + 3 * Options().PeerDownAfter.Ticks; now += 10 * Ms)
        {
            foreach (byte[] frame in captured)
            {
                if (a.Reader.TryRead(frame, out FrameHeader h) == DropReason.None)
                {
                    a.Session.OnFrame(h, frame, now);
                }
            }
            batch.Clear();
            a.Session.Poll(now, batch);
            Assert.That(a.Session.State, Is.Not.EqualTo(PeerState.Up), "frames made for A's old incarnation prove nothing");
        }
        Assert.That(a.Session.State, Is.EqualTo(PeerState.Down));
    }

    private static FrameKind KindOf(byte[] frame) => (FrameKind)frame[FrameDescriptor.KindOffset];
}
