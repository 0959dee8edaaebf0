using Dvs.Transport;
using NUnit.Framework;
using static Dvs.Tests.Transport.TransportTestKit;

namespace Dvs.Tests.Transport;

public sealed class ReliableSessionAllocationTest
{
    private sealed class CountingSink : ISessionSink
    {
        public long Delivered;

        public bool TryDeliver(ReliableSession session, in MessageHeader header, ReadOnlySpan<byte> message)
        {
            Delivered++;
            return true;
        }

        public void OnPeerStateChanged(ReliableSession session, PeerState state)
        {
        }

        public void OnPeerReset(ReliableSession session, ulong newIncarnation, int discardedMessages)
        {
        }
    }

    [Test]
    public void SteadyStateTrafficAllocatesNothing()
    {
        var options = new SessionOptions { WindowFrames = 64 };
        var drops = new DropCounters();
        var sinkA = new CountingSink();
        var sinkB = new CountingSink();
        var a = new ReliableSession(options, Credentials, NodeA, NodeB, 1, sinkA, drops, 0);
        var b = new ReliableSession(options, Credentials, NodeB, NodeA, 2, sinkB, drops, 0);
        var readerA = new FrameReader(Credentials, NodeA, KnownAB, options.Mtu, drops);
        var readerB = new FrameReader(Credentials, NodeB, KnownAB, options.Mtu, drops);
        var outA = new DatagramBatch(64, options.Mtu);
        var outB = new DatagramBatch(64, options.Mtu);
        byte[] message = Message(1);
        var header = new MessageHeader(3, 2, 77, 1, 0);
        long now = 0;

        void Round()
        {
            now += TimeSpan.TicksPerMillisecond / 10;
            for (int i = 0; i < 40; i++)
            {
                a.TrySend(header, message);
                b.TrySend(header, message);
            }
            Exchange(a, outA, readerB, b);
            Exchange(b, outB, readerA, a);
        }

        void Exchange(ReliableSession from, DatagramBatch batch, FrameReader reader, ReliableSession to)
        {
            batch.Clear();
            from.Poll(now, batch);
            for (int i = 0; i < batch.Count; i++)
            {
                ReadOnlySpan<byte> d = batch[i];
                if (reader.TryRead(d, out FrameHeader h) == DropReason.None)
                {
                    to.OnFrame(h, d, now);
                }
            }
        }

        for (int i = 0; i < 2000; i++)
        {
            Round();
        }
        long deliveredBefore = sinkB.Delivered;
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 5000; i++)
        {
            Round();
        }
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.That(sinkB.Delivered - deliveredBefore, Is.EqualTo(5000 * 40), "every message delivered");
        Assert.That(sinkA.Delivered, Is.EqualTo(sinkB.Delivered));
        Assert.That(allocated, Is.Zero, "bytes allocated for 400,000 messages");
        Assert.That(drops.Total, Is.Zero);
    }
}
