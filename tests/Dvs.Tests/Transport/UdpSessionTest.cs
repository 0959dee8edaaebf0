using System.Diagnostics;
using System.Net;
using Dvs.FaultRelay;
using Dvs.Transport;
using NUnit.Framework;
using static Dvs.Tests.Transport.TransportTestKit;

namespace Dvs.Tests.Transport;

/// <summary>Two sessions over the real native UDP channel (100,000 messages each way through the relay), directly and through the seeded
/// fault-injecting relay, on the real clock.</summary>
public sealed class UdpSessionTest
{
    private static readonly IPEndPoint AnyLoopback = new(IPAddress.Loopback, 0);

    internal static SessionOptions Options() => new()
    {
        WindowFrames = 64,
        InitialRto = TimeSpan.FromMilliseconds(20),
        MinRto = TimeSpan.FromMilliseconds(2),
        MaxRto = TimeSpan.FromMilliseconds(200),
        HeartbeatInterval = TimeSpan.FromMilliseconds(50),
        // Generous: a loaded CI machine must not produce a down verdict in the middle of the test.
        PeerDownAfter = TimeSpan.FromSeconds(30),
    };

    /// <summary>Pumps both sides on this thread until each received <paramref name="total"/>
    /// messages. Receives wait in the kernel until the session's next deadline (at most 2 ms).</summary>
    internal static void Exchange(SessionNode a, SessionNode b, long total)
    {
        var guard = Stopwatch.StartNew();
        while (a.Sink.Next < total || b.Sink.Next < total)
        {
            if (guard.Elapsed > TimeSpan.FromSeconds(90))
            {
                Assert.Fail($"stalled: A got {a.Sink.Next}, B got {b.Sink.Next} of {total}; " +
                    $"A drops: {a.Drops}; B drops: {b.Drops}");
            }
            foreach (SessionNode side in new[] { a, b })
            {
                long now = MonotonicClock.NowTicks;
                side.Offer(200, total);
                side.Flush(now);
                long wait = (side.Session.NextDeadline(now) - now) / TimeSpan.TicksPerMillisecond;
                side.PumpBlocking(MonotonicClock.NowTicks, (int)Math.Clamp(wait, 0, 2));
            }
        }
    }

    [Test]
    public void SessionsExchangeMessagesOverLoopbackUdp()
    {
        SessionOptions options = Options();
        using var ca = UdpChannel.Open(AnyLoopback);
        using var cb = UdpChannel.Open(AnyLoopback);
        ca.SetPeer(NodeB, cb.LocalEndPoint);
        cb.SetPeer(NodeA, ca.LocalEndPoint);
        long now = MonotonicClock.NowTicks;
        var a = new SessionNode(NodeA, NodeB, 1, ca, options, now);
        var b = new SessionNode(NodeB, NodeA, 2, cb, options, now);

        Exchange(a, b, 20_000);

        Assert.That(a.Sink.FirstError, Is.Null);
        Assert.That(b.Sink.FirstError, Is.Null);
        Assert.That(b.Session.MessagesDelivered, Is.EqualTo(20_000));
    }

    [TestCase(42)]
    public void SessionsDeliverEverythingOnceInOrderThroughTheFaultRelay(int seed)
    {
        const long total = 100_000;
        SessionOptions options = Options();
        using var ca = UdpChannel.Open(AnyLoopback);
        using var cb = UdpChannel.Open(AnyLoopback);
        using var relay = new UdpRelay(ca.LocalEndPoint, cb.LocalEndPoint,
            new FaultOptions(Drop: 0.10, Duplicate: 0.10, Reorder: 0.25, Seed: seed));
        ca.SetPeer(NodeB, relay.ForA);
        cb.SetPeer(NodeA, relay.ForB);
        relay.Start();
        long now = MonotonicClock.NowTicks;
        var a = new SessionNode(NodeA, NodeB, 1, ca, options, now);
        var b = new SessionNode(NodeB, NodeA, 2, cb, options, now);

        Exchange(a, b, total);

        Assert.Multiple(() =>
        {
            Assert.That(a.Sink.FirstError, Is.Null);
            Assert.That(b.Sink.FirstError, Is.Null);
            Assert.That(a.Session.MessagesDelivered, Is.EqualTo(total));
            Assert.That(b.Session.MessagesDelivered, Is.EqualTo(total));
            Assert.That(relay.AToB.Dropped, Is.GreaterThan(0));
            Assert.That(relay.AToB.Duplicated, Is.GreaterThan(0));
            Assert.That(relay.AToB.Reordered, Is.GreaterThan(0));
            Assert.That(b.Drops[DropReason.Duplicate], Is.GreaterThan(0));
            Assert.That(a.Session.Retransmissions, Is.GreaterThan(0));
        });
    }
}
