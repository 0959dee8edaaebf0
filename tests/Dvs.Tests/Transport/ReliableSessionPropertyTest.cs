using CsCheck;
using Dvs.Transport;
using NUnit.Framework;

namespace Dvs.Tests.Transport;

/// <summary>Whatever the network does (within reason), however the session is sized and however
/// often the receivers refuse deliveries, every message arrives exactly once and in order, both
/// ways.</summary>
public sealed class ReliableSessionPropertyTest
{
    private const long Ms = TimeSpan.TicksPerMillisecond;

    [Test]
    public void EveryNetworkAndSizingDeliversEverythingOnceInOrder()
    {
        var gen = Gen.Select(
            Gen.Int[0, 1_000_000],          // network seed
            Gen.Int[0, 30],                 // drop %
            Gen.Int[0, 30],                 // duplicate %
            Gen.Int[0, 50],                 // reorder %
            Gen.Int[1, 7],                  // window = 2^n frames
            Gen.Int[1, 20],                 // messages per frame (sets the MTU)
            Gen.Int[1, 3000],               // messages each way
            Gen.Int[0, 60]);                // % of steps in which the receivers refuse deliveries
        gen.Sample((seed, drop, dup, reorder, windowLog, perFrame, total, refuse) =>
        {
            var options = new SessionOptions
            {
                WindowFrames = 1 << windowLog,
                Mtu = FrameDescriptor.FrameLength(perFrame),
                InitialRto = TimeSpan.FromMilliseconds(50),
                MinRto = TimeSpan.FromMilliseconds(5),
                MaxRto = TimeSpan.FromMilliseconds(400),
                HeartbeatInterval = TimeSpan.FromMilliseconds(100),
                PeerDownAfter = TimeSpan.FromSeconds(60),
            };
            var network = new LossyNetwork(seed, drop / 100.0, dup / 100.0, reorder / 100.0, Ms);
            var pair = new SessionPair(network, options);
            var burst = new Random(seed);
            pair.RunUntil(() =>
            {
                pair.A.Offer(burst.Next(0, 3 * perFrame), total);
                pair.B.Offer(burst.Next(0, 3 * perFrame), total);
                pair.A.Sink.Accepting = burst.Next(100) >= refuse;
                pair.B.Sink.Accepting = burst.Next(100) >= refuse;
                return pair.A.Sink.Next == total && pair.B.Sink.Next == total;
            }, 600_000 * Ms, "all messages");
            Assert.That(pair.A.Sink.FirstError, Is.Null);
            Assert.That(pair.B.Sink.FirstError, Is.Null);
            Assert.That(pair.A.Session.MessagesDelivered, Is.EqualTo(total));
            Assert.That(pair.B.Session.MessagesDelivered, Is.EqualTo(total));
        }, iter: 150, threads: 1);
    }
}
