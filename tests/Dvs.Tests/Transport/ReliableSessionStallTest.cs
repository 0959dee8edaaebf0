using Dvs.Transport;
using NUnit.Framework;

namespace Dvs.Tests.Transport;

/// <summary>
/// Issue 11.10: a node whose own proxy did not run for a while (CPU load at start-up, a long
/// pause) must not declare a live peer down for silence it did not listen to: the peer's
/// heartbeats are waiting in its socket.
/// </summary>
public sealed class ReliableSessionStallTest
{
    private const long Ms = TimeSpan.TicksPerMillisecond;

    private static SessionOptions Options() => new()
    {
        WindowFrames = 64,
        HeartbeatInterval = TimeSpan.FromMilliseconds(100),
        PeerDownAfter = TimeSpan.FromSeconds(1),
    };

    [Test]
    public void ALiveSessionStalledLongerThanPeerDownDoesNotDeclareItsPeerDown()
    {
        var pair = new SessionPair(new LossyNetwork(31, 0, 0, 0, Ms), Options());
        pair.Handshake();
        long quietUntil = pair.Now + 5 * Options().HeartbeatInterval.Ticks;
        pair.RunUntil(() => pair.Now >= quietUntil, 10_000 * Ms, "idle");

        // A's threads get no CPU for three peer-down times; B runs on and its heartbeats queue up.
        pair.PumpA = false;
        long stallUntil = pair.Now + 3 * Options().PeerDownAfter.Ticks;
        pair.RunUntil(() => pair.Now >= stallUntil, 10 * Options().PeerDownAfter.Ticks, "A stalled");
        pair.PumpA = true;
        long resumeUntil = pair.Now + 2 * Options().HeartbeatInterval.Ticks;
        pair.RunUntil(() => pair.Now >= resumeUntil, 10_000 * Ms, "A runs again");

        Assert.That(pair.A.Sink.States, Is.EqualTo(new[] { PeerState.Up }), "B was never silent, A was not listening");
        Assert.That(pair.A.Session.State, Is.EqualTo(PeerState.Up));
    }

    [Test]
    public void ASessionCreatedLongBeforeItsFirstPollGivesItsPeerAFullSilenceAfterIt()
    {
        // Start-up under load: the session is made, then its thread first runs 2 s later; the
        // peer's hello is already waiting.
        var network = new LossyNetwork(32, 0, 0, 0, Ms);
        var a = new SessionNode(TransportTestKit.NodeA, TransportTestKit.NodeB, 1000, network.Connect(TransportTestKit.NodeA), Options(), 0);
        var b = new SessionNode(TransportTestKit.NodeB, TransportTestKit.NodeA, 2000, network.Connect(TransportTestKit.NodeB), Options(), 0);
        network.Now = Ms;
        b.Flush(Ms);
        long late = 2000 * Ms;
        network.Now = late;
        a.Flush(late);
        a.Pump(late);
        Assert.That(a.Sink.States, Has.No.Member(PeerState.Down));
    }

    [Test]
    public void ADeadPeerIsStillDeclaredDownAfterAStall()
    {
        var pair = new SessionPair(new LossyNetwork(33, 0, 0, 0, Ms), Options());
        pair.Handshake();
        pair.PumpA = false;
        pair.PumpB = false;
        long stallUntil = pair.Now + 3 * Options().PeerDownAfter.Ticks;
        pair.RunUntil(() => pair.Now >= stallUntil, 10 * Options().PeerDownAfter.Ticks, "A stalled, B dead");
        pair.PumpA = true;
        long resumedAt = pair.Now;
        pair.RunUntil(() => pair.A.Session.State == PeerState.Down, 3 * Options().PeerDownAfter.Ticks, "B down");
        Assert.That(pair.Now - resumedAt, Is.LessThanOrEqualTo(2 * Options().PeerDownAfter.Ticks));
    }
}
