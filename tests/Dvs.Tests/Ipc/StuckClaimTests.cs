using Dvs.Tests.Hosting;

namespace Dvs.Tests.Ipc;

/// <summary>
/// A producer killed (SIGKILL) between claiming a ring cell and publishing it: the node host's
/// reaper unblocks the cell, so the ring's consumer moves on and later messages flow; the cell is
/// counted in <see cref="NodeCounter.RingCellsUnblocked"/>.
/// </summary>
[TestFixture]
public class StuckClaimTests
{
    private static readonly DvsTimeout Long = DvsTimeout.FromMilliseconds(30_000);

    [Test]
    public void AnEndpointsRingKeepsFlowingAfterAProducerDiedBetweenClaimAndPublish()
    {
        using var node = new TestNode();
        using Endpoint receiver = node.Node.Bind(0, 3);
        using Endpoint sender = node.Node.Bind(0, 4);
        KillWhileClaiming(node.Name, "3");

        for (int i = 0; i < 10; i++)
        {
            Assert.That(sender.Send(3, new Message(i) { [0] = i }, Long), Is.EqualTo(DvsError.Ok));
        }
        for (int i = 0; i < 10; i++)
        {
            Assert.That(receiver.Receive(EndpointNumber.Any, out Message m, Long), Is.EqualTo(DvsError.Ok), $"message {i}");
            Assert.That((m.Type, m[0], m.Source), Is.EqualTo((i, (long)i, 4)));
        }
        // The reaper counts the cell after it unblocked it: the messages may flow first.
        Assert.That(SpinWait.SpinUntil(() => node.Node.GetCounter(NodeCounter.RingCellsUnblocked) != 0, TimeSpan.FromSeconds(10)), Is.True);
        Assert.That(node.Node.GetCounter(NodeCounter.RingCellsUnblocked), Is.EqualTo(1));
    }

    [Test]
    public void CrossNodeTrafficKeepsFlowingAfterAProducerDiedBetweenClaimAndPublishOnTheOutboundRing()
    {
        using var nodes = new TwoNodes();
        using Endpoint server = nodes.Node1.Bind(0, 1);
        using Endpoint client = nodes.Node0.Bind(0, 100);
        Assert.That(nodes.Node0.WaitForRemote(0, 1, Long), Is.EqualTo(DvsError.Ok));
        var serverThread = new Thread(() =>
        {
            for (int i = 0; i < 10 && server.ReceiveRequest(out Message rq, Long) == DvsError.Ok; i++)
            {
                server.Reply(rq.Source, new Message(rq.Type) { [0] = rq[0] * 2 });
            }
        });
        serverThread.Start();
        KillWhileClaiming(nodes.Host0.NodeName, "-1");

        for (int i = 0; i < 10; i++)
        {
            var m = new Message(i) { [0] = i };
            Assert.That(client.SendRec(1, ref m, Long), Is.EqualTo(DvsError.Ok), $"call {i}");
            Assert.That((m.Type, m[0]), Is.EqualTo((i, 2L * i)));
        }
        serverThread.Join();
        Assert.That(SpinWait.SpinUntil(() => nodes.Node0.GetCounter(NodeCounter.RingCellsUnblocked) != 0, TimeSpan.FromSeconds(10)), Is.True);
        Assert.That(nodes.Node0.GetCounter(NodeCounter.RingCellsUnblocked), Is.EqualTo(1));
    }

    /// <summary>A child claims a cell of endpoint <paramref name="endpoint"/>'s ring (-1: the outbound ring) and is killed before publishing it.</summary>
    private static void KillWhileClaiming(string nodeName, string endpoint)
    {
        using var child = new ChildProcess("claimstall", nodeName, "0", endpoint);
        child.ExpectLine("claimed");
        child.Kill();
    }
}
