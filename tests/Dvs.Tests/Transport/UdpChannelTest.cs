using System.Net;
using Dvs.Transport;
using NUnit.Framework;
using static Dvs.Tests.Transport.TransportTestKit;

namespace Dvs.Tests.Transport;

/// <summary>The native UDP channel (sendmmsg / poll + recvmmsg in libdvsshim) on loopback.</summary>
public sealed class UdpChannelTest
{
    private static readonly IPEndPoint AnyLoopback = new(IPAddress.Loopback, 0);

    private static int ReceiveAtLeast(UdpChannel channel, DatagramBatch batch, int count, List<byte[]> into, List<int>? peers = null)
    {
        // Bounded: each wait ends after 2 s at most, and the loop gives up after 50 empty waits.
        for (int empty = 0; into.Count < count && empty < 50;)
        {
            int n = channel.Receive(batch, 2000);
            if (n == 0)
            {
                empty++;
            }
            for (int i = 0; i < n; i++)
            {
                into.Add(batch[i].ToArray());
                peers?.Add(batch.Peer(i));
            }
        }
        return into.Count;
    }

    [Test]
    public void BatchGoesOutInOneCallAndArrivesWithItsSourceNode()
    {
        using var a = UdpChannel.Open(AnyLoopback);
        using var b = UdpChannel.Open(AnyLoopback);
        a.SetPeer(NodeB, b.LocalEndPoint);
        b.SetPeer(NodeA, a.LocalEndPoint);
        Assert.That(a.LocalEndPoint.Port, Is.Not.Zero);

        var batch = new DatagramBatch(100, 1500);
        for (int i = 0; i < 100; i++)
        {
            byte[] d = Enumerable.Range(0, 1 + i * 13).Select(x => (byte)(x + i)).ToArray();
            Assert.That(batch.TryAdd(NodeB, d), Is.True);
        }
        Assert.That(a.Send(batch), Is.EqualTo(100));

        var received = new List<byte[]>();
        var peers = new List<int>();
        ReceiveAtLeast(b, new DatagramBatch(32, 1501), 100, received, peers);

        Assert.That(received, Has.Count.EqualTo(100));
        Assert.That(peers, Is.All.EqualTo(NodeA));
        // Loopback keeps order; what matters is that every datagram arrives intact.
        Assert.That(received.Select(d => d.Length).Order(), Is.EqualTo(Enumerable.Range(0, 100).Select(i => 1 + i * 13)));
        foreach (byte[] d in received)
        {
            int i = (d.Length - 1) / 13;
            Assert.That(d, Is.EqualTo(Enumerable.Range(0, d.Length).Select(x => (byte)(x + i)).ToArray()));
        }
        Assert.That(a.SendFailures, Is.Zero);
    }

    [Test]
    public void ReceiveReturnsZeroWhenNothingArrivesWithinTheTimeout()
    {
        using var a = UdpChannel.Open(AnyLoopback);
        var batch = new DatagramBatch(4, 100);
        Assert.That(a.Receive(batch, 0), Is.Zero);
        Assert.That(a.Receive(batch, 5), Is.Zero);
        Assert.That(batch.Count, Is.Zero);
    }

    [Test]
    public void DatagramFromAnUnknownAddressHasNoNode()
    {
        using var a = UdpChannel.Open(AnyLoopback);
        using var b = UdpChannel.Open(AnyLoopback);
        a.SetPeer(NodeB, b.LocalEndPoint); // b does not know a
        var batch = new DatagramBatch(1, 100);
        batch.TryAdd(NodeB, new byte[] { 1, 2, 3 });
        a.Send(batch);

        var peers = new List<int>();
        ReceiveAtLeast(b, new DatagramBatch(4, 100), 1, new List<byte[]>(), peers);
        Assert.That(peers, Is.EqualTo(new[] { -1 }));
    }

    [Test]
    public void OversizedDatagramIsTruncatedToTheSlotAndDroppedAsTooLong()
    {
        using var a = UdpChannel.Open(AnyLoopback);
        using var b = UdpChannel.Open(AnyLoopback);
        a.SetPeer(NodeB, b.LocalEndPoint);
        var big = new DatagramBatch(1, 9000);
        byte[] frame = DataFrame(3);
        var oversized = new byte[5000];
        frame.CopyTo(oversized, 0);
        big.TryAdd(NodeB, oversized);
        Assert.That(a.Send(big), Is.EqualTo(1));

        var received = new List<byte[]>();
        ReceiveAtLeast(b, new DatagramBatch(4, FrameDescriptor.DefaultMtu + 1), 1, received);
        Assert.That(received[0], Has.Length.EqualTo(FrameDescriptor.DefaultMtu + 1));
        var drops = new DropCounters();
        Assert.That(ReaderAtB(drops).TryRead(received[0], out _), Is.EqualTo(DropReason.TooLong));
        Assert.That(drops[DropReason.TooLong], Is.EqualTo(1));
    }

    [Test]
    public void DatagramsForUnknownNodesAreSkippedAndCounted()
    {
        using var a = UdpChannel.Open(AnyLoopback);
        using var b = UdpChannel.Open(AnyLoopback);
        a.SetPeer(NodeB, b.LocalEndPoint);
        var batch = new DatagramBatch(3, 16);
        batch.TryAdd(NodeB, new byte[] { 1 });
        batch.TryAdd(9, new byte[] { 2 });
        batch.TryAdd(NodeB, new byte[] { 3 });

        Assert.That(a.Send(batch), Is.EqualTo(2));
        Assert.That(a.SendFailures, Is.EqualTo(1));
        var received = new List<byte[]>();
        ReceiveAtLeast(b, new DatagramBatch(4, 16), 2, received);
        Assert.That(received.Select(d => d[0]), Is.EqualTo(new byte[] { 1, 3 }));
    }

    [Test]
    public void BindingABusyPortFailsWithTheReason()
    {
        using var a = UdpChannel.Open(AnyLoopback);
        var e = Assert.Throws<DvsException>(() => UdpChannel.Open(a.LocalEndPoint));
        Assert.That(e!.Message, Does.Contain("bind").And.Contain("in use").And.Contain(a.LocalEndPoint.ToString()));
    }

    [Test]
    public void UseAfterDisposeThrowsObjectDisposed()
    {
        var a = UdpChannel.Open(AnyLoopback);
        a.Dispose();
        Assert.Throws<ObjectDisposedException>(() => a.Receive(new DatagramBatch(1, 16), 0));
    }

    [Test]
    public void Ipv6IsRefusedClearly()
    {
        Assert.Throws<ArgumentException>(() => UdpChannel.Open(new IPEndPoint(IPAddress.IPv6Loopback, 0)));
    }
}
