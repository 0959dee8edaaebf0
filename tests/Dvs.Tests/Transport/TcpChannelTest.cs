using System.Net;
using System.Net.Sockets;
using Dvs.Transport;
using NUnit.Framework;
using static Dvs.Tests.Transport.TransportTestKit;

namespace Dvs.Tests.Transport;

/// <summary>The TCP datagram channel on loopback.</summary>
public sealed class TcpChannelTest
{
    private static readonly IPEndPoint AnyLoopback = new(IPAddress.Loopback, 0);

    /// <summary>Sends a one-frame batch until the connection is up; the receiver keeps accepting.</summary>
    private static void Connect(TcpChannel from, int peer, TcpChannel to)
    {
        var probe = new DatagramBatch(1, 16);
        var sink = new DatagramBatch(8, 16);
        for (int attempt = 0; attempt < 500; attempt++)
        {
            probe.Clear();
            probe.TryAdd(peer, [0xEE]);
            if (from.Send(probe) == 1)
            {
                // Drain the probe so it does not count as data.
                for (int i = 0; i < 100 && to.Receive(sink, 20) == 0; i++)
                {
                }
                return;
            }
            to.Receive(sink, 10); // accepts; also lets time pass for the 100 ms reconnect interval
        }
        Assert.Fail("no TCP connection");
    }

    private static List<byte[]> ReceiveAtLeast(TcpChannel channel, DatagramBatch batch, int count)
    {
        var got = new List<byte[]>();
        for (int empty = 0; got.Count < count && empty < 50;)
        {
            int n = channel.Receive(batch, 2000);
            empty += n == 0 ? 1 : 0;
            for (int i = 0; i < n; i++)
            {
                got.Add(batch[i].ToArray());
            }
        }
        return got;
    }

    [Test]
    public void FramesArriveIntactAndInOrder()
    {
        using var a = TcpChannel.Open(AnyLoopback);
        using var b = TcpChannel.Open(AnyLoopback);
        a.SetPeer(NodeB, b.LocalEndPoint);
        Connect(a, NodeB, b);

        var batch = new DatagramBatch(200, 1500);
        for (int i = 0; i < 200; i++)
        {
            batch.TryAdd(NodeB, Enumerable.Range(0, 1 + i * 7).Select(x => (byte)(x ^ i)).ToArray());
        }
        Assert.That(a.Send(batch), Is.EqualTo(200));

        List<byte[]> got = ReceiveAtLeast(b, new DatagramBatch(64, 1501), 200);
        Assert.That(got, Has.Count.EqualTo(200));
        for (int i = 0; i < 200; i++)
        {
            Assert.That(got[i], Is.EqualTo(Enumerable.Range(0, 1 + i * 7).Select(x => (byte)(x ^ i)).ToArray()));
        }
        Assert.That(b.InboundConnections, Is.EqualTo(1));
    }

    [Test]
    public void SteadyStateSendAndReceiveAllocateNothing()
    {
        using var a = TcpChannel.Open(AnyLoopback);
        using var b = TcpChannel.Open(AnyLoopback);
        a.SetPeer(NodeB, b.LocalEndPoint);
        Connect(a, NodeB, b);
        var outgoing = new DatagramBatch(16, 1500);
        var incoming = new DatagramBatch(64, 1501);
        byte[] frame = new byte[1400];
        long sent = 0;
        long received = 0;

        // No asserts inside: NUnit's constraints allocate.
        void Round()
        {
            outgoing.Clear();
            for (int i = 0; i < 16; i++)
            {
                outgoing.TryAdd(NodeB, frame);
            }
            sent += a.Send(outgoing);
            for (int got = 0, empty = 0; got < 16 && empty < 50;)
            {
                int n = b.Receive(incoming, 2000);
                empty += n == 0 ? 1 : 0;
                got += n;
                received += n;
            }
        }

        for (int i = 0; i < 200; i++)
        {
            Round();
        }
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 2000; i++)
        {
            Round();
        }
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.That(sent, Is.EqualTo(2200 * 16));
        Assert.That(received, Is.EqualTo(2200 * 16));
        Assert.That(allocated, Is.EqualTo(0), $"{allocated} bytes for 32,000 frames");
    }

    [Test]
    public void FramesForAPeerThatDoesNotListenAreDroppedAndCounted()
    {
        using var a = TcpChannel.Open(AnyLoopback);
        int closedPort;
        using (var l = new TcpListener(IPAddress.Loopback, 0))
        {
            l.Start();
            closedPort = ((IPEndPoint)l.LocalEndpoint).Port;
        }
        a.SetPeer(NodeB, new IPEndPoint(IPAddress.Loopback, closedPort));
        var batch = new DatagramBatch(1, 16);
        batch.TryAdd(NodeB, [1]);
        Assert.That(a.Send(batch), Is.Zero);
        Assert.That(a.SendFailures, Is.EqualTo(1));
        batch.Clear();
        batch.TryAdd(9, [1]); // no such peer
        Assert.That(a.Send(batch), Is.Zero);
        Assert.That(a.SendFailures, Is.EqualTo(2));
    }

    [Test]
    public void GarbageLengthClosesThatConnectionOnly()
    {
        using var a = TcpChannel.Open(AnyLoopback);
        using var b = TcpChannel.Open(AnyLoopback);
        a.SetPeer(NodeB, b.LocalEndPoint);
        Connect(a, NodeB, b);

        using var attacker = new TcpClient();
        attacker.Connect(b.LocalEndPoint);
        attacker.GetStream().Write([0xFF, 0xFF, 0xFF, 0x7F, 1, 2, 3]);
        attacker.GetStream().Flush();

        var sink = new DatagramBatch(8, 100);
        for (int i = 0; i < 200 && b.BrokenConnections == 0; i++)
        {
            Assert.That(b.Receive(sink, 20), Is.Zero, "garbage yields no frame");
        }
        Assert.That(b.BrokenConnections, Is.EqualTo(1));
        Assert.That(b.InboundConnections, Is.EqualTo(1), "the good connection stays");

        var batch = new DatagramBatch(1, 16);
        batch.TryAdd(NodeB, [42]);
        Assert.That(a.Send(batch), Is.EqualTo(1));
        Assert.That(ReceiveAtLeast(b, sink, 1).Single(), Is.EqualTo(new byte[] { 42 }));
    }

    [Test]
    public void OversizedFrameIsCutToTheSlotAndDroppedAsTooLong()
    {
        using var a = TcpChannel.Open(AnyLoopback);
        using var b = TcpChannel.Open(AnyLoopback);
        a.SetPeer(NodeB, b.LocalEndPoint);
        Connect(a, NodeB, b);
        var big = new DatagramBatch(2, 9000);
        var oversized = new byte[5000];
        DataFrame(2).CopyTo(oversized, 0);
        big.TryAdd(NodeB, oversized);
        big.TryAdd(NodeB, DataFrame(1));
        Assert.That(a.Send(big), Is.EqualTo(2));

        List<byte[]> got = ReceiveAtLeast(b, new DatagramBatch(8, FrameDescriptor.DefaultMtu + 1), 2);
        var drops = new DropCounters();
        FrameReader reader = ReaderAtB(drops);
        Assert.That(reader.TryRead(got[0], out _), Is.EqualTo(DropReason.TooLong));
        Assert.That(reader.TryRead(got[1], out _), Is.EqualTo(DropReason.None), "the stream stays in step");
    }

    [Test]
    public void SessionsExchangeMessagesOverTcp()
    {
        SessionOptions options = UdpSessionTest.Options();
        using var ca = TcpChannel.Open(AnyLoopback);
        using var cb = TcpChannel.Open(AnyLoopback);
        ca.SetPeer(NodeB, cb.LocalEndPoint);
        cb.SetPeer(NodeA, ca.LocalEndPoint);
        long now = MonotonicClock.NowTicks;
        var a = new SessionNode(NodeA, NodeB, 1, ca, options, now);
        var b = new SessionNode(NodeB, NodeA, 2, cb, options, now);

        UdpSessionTest.Exchange(a, b, 20_000);

        Assert.That(a.Sink.FirstError, Is.Null);
        Assert.That(b.Sink.FirstError, Is.Null);
        Assert.That(b.Session.MessagesDelivered, Is.EqualTo(20_000));
        Assert.That(a.Session.MessagesDelivered, Is.EqualTo(20_000));
    }

    [Test]
    public void BindingABusyPortFails()
    {
        using var a = TcpChannel.Open(AnyLoopback);
        Assert.Throws<DvsException>(() => TcpChannel.Open(a.LocalEndPoint));
    }
}
