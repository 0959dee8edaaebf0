using System.Net;
using Dvs.FaultRelay;
using Dvs.Tests.Cluster;

namespace Dvs.Tests.Hosting;

/// <summary>Remote vcopies (bulk frames) through the fault relay: lost, duplicated, reordered datagrams.</summary>
[TestFixture]
[NonParallelizable]
public class RemoteVCopyThroughFaultsTests
{
    private static readonly DvsTimeout Long = DvsTimeout.FromMilliseconds(60_000);

    [Test]
    public unsafe void VCopyBytesArriveIntactThroughALossyDuplicatingReorderingNetwork()
    {
        int port0 = TwoNodes.FreePort(), port1 = TwoNodes.FreePort();
        using var relay = RelayProcess.Start("relay vcopy", new IPEndPoint(IPAddress.Loopback, port0),
            new IPEndPoint(IPAddress.Loopback, port1), new FaultOptions(Drop: 0.10, Duplicate: 0.10, Reorder: 0.25, 20261125));
        string stem = "v" + Guid.NewGuid().ToString("N")[..10];
        using NodeHost host0 = TwoNodes.Start(stem + "-0", 0, port0, 1, relay.ForA.Port, 1);
        using NodeHost host1 = TwoNodes.Start(stem + "-1", 1, port1, 0, relay.ForB.Port, 1);
        using Node node0 = host0.Attach();
        using Node node1 = host1.Attach();
        using Endpoint a = node0.Bind(0, 1);
        using Endpoint b = node1.Bind(0, 2);
        Assert.That(node0.WaitForRemote(0, 2, Long), Is.EqualTo(DvsError.Ok));
        Assert.That(node1.WaitForRemote(0, 1, Long), Is.EqualTo(DvsError.Ok));
        const int size = 6_000_011;   // more than the copy ring (4 MiB): its slots are reused while frames are lost
        byte[] source = GC.AllocateArray<byte>(size, pinned: true);
        byte[] pushed = GC.AllocateArray<byte>(size, pinned: true);
        byte[] pulled = GC.AllocateArray<byte>(size, pinned: true);
        new Random(11).NextBytes(source);
        fixed (byte* s = source, d1 = pushed, d2 = pulled)
        {
            Assert.That(a.VCopy(1, (nint)s, 2, (nint)d1, size), Is.EqualTo(DvsError.Ok), "push");
            Assert.That(b.VCopy(1, (nint)s, 2, (nint)d2, size), Is.EqualTo(DvsError.Ok), "pull");
        }
        Assert.Multiple(() =>
        {
            Assert.That(pushed.AsSpan().SequenceEqual(source), Is.True, "pushed bytes");
            Assert.That(pulled.AsSpan().SequenceEqual(source), Is.True, "pulled bytes");
            Assert.That(node0.GetCounter(NodeCounter.Retransmissions) + node1.GetCounter(NodeCounter.Retransmissions), Is.Positive,
                "frames were lost and sent again");
        });
        relay.Stop();
    }
}
