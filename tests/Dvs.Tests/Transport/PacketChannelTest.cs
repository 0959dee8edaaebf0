using System.Net.NetworkInformation;
using Dvs.Transport;
using static Dvs.Tests.Transport.TransportTestKit;

namespace Dvs.Tests.Transport;

/// <summary>The raw Ethernet channel (AF_PACKET in libdvsshim), over a veth pair in this namespace.</summary>
[TestFixture]
[NonParallelizable]
public sealed class PacketChannelTest
{
    [Test]
    public void AnInterfaceThatDoesNotExistIsAClearErrorNamingIt()
    {
        var e = Assert.Throws<DvsException>(() => PacketChannel.Open("dvsnosuch0", 1472).Dispose())!;

        Assert.That(e.Error, Is.EqualTo(DvsError.BadValue));
        Assert.That(e.Message, Does.Contain("no network interface 'dvsnosuch0'"));
        Assert.That(e.Message, Does.Contain("[node] interface"), "says what to change");
    }

    [Test]
    public void ARawTransportWithoutInterfaceIsAClearError()
    {
        var e = Assert.Throws<DvsException>(() => ChannelFactory.Open(new NetworkOptions { Transport = TransportKind.Raw }).Dispose())!;

        Assert.That(e.Message, Does.Contain("interface"));
    }

    [Test]
    public void FramesLargerThanTheInterfaceMtuAreRefusedWhenOpening()
    {
        using VethPair veth = VethPair.Create(inNamespaces: false);

        var e = Assert.Throws<DvsException>(() => PacketChannel.Open(veth.NameA, 9000).Dispose())!;

        Assert.That(e.Error, Is.EqualTo(DvsError.BadValue));
        Assert.That(e.Message, Does.Contain($"interface {veth.NameA}").And.Contain("MTU of 1500"));
    }

    [Test]
    public void ABatchCrossesTheWireTaggedWithItsSourceNodeAndOversizedFramesAreCounted()
    {
        using VethPair veth = VethPair.Create(inNamespaces: false);
        using PacketChannel a = PacketChannel.Open(veth.NameA, 1472);
        using PacketChannel b = PacketChannel.Open(veth.NameB, 1472);
        Assert.That(a.MacAddress, Is.EqualTo(veth.MacA));
        Assert.That(a.InterfaceMtu, Is.EqualTo(1500));
        Assert.That(((IDatagramChannel)a).LocalEndPoint, Is.Null, "no IP endpoint on raw Ethernet");
        a.SetPeer(NodeB, veth.MacB);
        ((IDatagramChannel)b).SetPeer(new PeerOptions { NodeId = NodeA, MacAddress = veth.MacA });
        Assert.Throws<NotSupportedException>(() => a.SetPeer(NodeB, new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 1)));

        var inbound = new DatagramBatch(64, FrameDescriptor.MaxFrameLength);
        // The link may take a moment to pass frames after it came up: probe until one arrives (bounded).
        var probe = new DatagramBatch(1, 1500);
        bool up = false;
        for (int attempt = 0; attempt < 50 && !up; attempt++)
        {
            probe.Clear();
            probe.TryAdd(NodeB, new byte[100]);
            a.Send(probe);
            up = b.Receive(inbound, 200) > 0;
        }
        Assert.That(up, Is.True, "a frame crossed the veth pair");
        while (b.Receive(inbound, 0) > 0)
        {
            // drain the probes
        }

        var batch = new DatagramBatch(42, 2000);
        for (int i = 0; i < 40; i++)
        {
            byte[] d = Enumerable.Range(0, 64 + i * 35).Select(x => (byte)(x + i)).ToArray();
            Assert.That(batch.TryAdd(NodeB, d), Is.True);
        }
        Assert.That(batch.TryAdd(NodeB, new byte[1501]), Is.True, "longer than the interface MTU");
        Assert.That(batch.TryAdd(NodeA + NodeB + 7, new byte[80]), Is.True, "to a node that is no peer");
        Assert.That(a.Send(batch), Is.EqualTo(40));
        Assert.That(a.OversizedFrames, Is.EqualTo(1));
        Assert.That(a.SendFailures, Is.EqualTo(2));

        var received = new List<byte[]>();
        var peers = new List<int>();
        for (int empty = 0; received.Count < 40 && empty < 20;)
        {
            int n = b.Receive(inbound, 1000);
            empty += n == 0 ? 1 : 0;
            for (int i = 0; i < n; i++)
            {
                received.Add(inbound[i].ToArray());
                peers.Add(inbound.Peer(i));
            }
        }
        Assert.That(received, Has.Count.EqualTo(40));
        Assert.That(peers, Is.All.EqualTo(NodeA));
        for (int i = 0; i < 40; i++)
        {
            Assert.That(received[i], Is.EqualTo(Enumerable.Range(0, 64 + i * 35).Select(x => (byte)(x + i)).ToArray()), $"frame {i}");
        }
        Assert.That(b.Receive(inbound, 0), Is.Zero, "nothing else arrived (the oversized frame did not go out)");
    }

    [Test]
    public void FramesFromAnUnknownMacAreTaggedMinusOne()
    {
        using VethPair veth = VethPair.Create(inNamespaces: false);
        using PacketChannel a = PacketChannel.Open(veth.NameA, 1472);
        using PacketChannel b = PacketChannel.Open(veth.NameB, 1472);
        a.SetPeer(NodeB, veth.MacB);
        b.SetPeer(NodeA, PhysicalAddress.Parse("02:00:00:00:00:99")); // not a's
        var inbound = new DatagramBatch(8, 1501);
        var probe = new DatagramBatch(1, 1500);
        int n = 0;
        for (int attempt = 0; attempt < 50 && n == 0; attempt++)
        {
            probe.Clear();
            probe.TryAdd(NodeB, new byte[100]);
            a.Send(probe);
            n = b.Receive(inbound, 200);
        }
        Assert.That(n, Is.Positive);
        Assert.That(inbound.Peer(0), Is.EqualTo(-1));
    }
}
