using Dvs.Tests.Hosting;

namespace Dvs.Tests.Ipc;

/// <summary>
/// Issue 11.1: a reply belongs to the binding whose request caused it. A client that timed out,
/// unbound and was bound again (same endpoint number, restarted sequences) must never get its
/// predecessor's reply as the answer to its own request.
/// </summary>
[TestFixture]
public class ReboundClientReplyTests
{
    private static readonly DvsTimeout Long = DvsTimeout.FromMilliseconds(30_000);
    private const int Server = 1;
    private const int Client = 101;

    [Test]
    public void AReplyToAnAbandonedRequestNeverReachesTheNextBindingOnTheSameNode()
    {
        using var node = new TestNode();
        using Endpoint server = node.Node.Bind(0, Server);
        ReplyGoesToItsOwnBinding(server, node.Node, node.Node);
    }

    [Test]
    public void AReplyToAnAbandonedRequestNeverReachesTheNextBindingOnAnotherNode()
    {
        using var nodes = new TwoNodes();
        using Endpoint server = nodes.Node0.Bind(0, Server);
        Assert.That(nodes.Node1.WaitForRemote(0, Server, Long), Is.EqualTo(DvsError.Ok));
        ReplyGoesToItsOwnBinding(server, nodes.Node0, nodes.Node1);
    }

    [Test]
    public void AReplyForAKilledClientProcessNeverReachesTheProcessThatReplacedIt()
    {
        using var node = new TestNode();
        using Endpoint server = node.Node.Bind(0, Server);
        using (var first = new ChildProcess("onecall", node.Name, "0", Client.ToString(), Server.ToString(), "1"))
        {
            Assert.That(first.ReadLine(), Is.EqualTo("ready"));
            Assert.That(server.ReceiveRequest(out Message taken, Long), Is.EqualTo(DvsError.Ok));
            Assert.That(taken[0], Is.EqualTo(1));
            first.Kill();
        }
        using var second = new ChildProcess("onecall", node.Name, "0", Client.ToString(), Server.ToString(), "2");
        Assert.That(second.ReadLine(), Is.EqualTo("ready"));
        WaitUntil(() => node.Node.GetEndpointInfo(0, Server)!.QueueDepth == 1, "the new process's request reached the server");
        Assert.That(server.Reply(Client, new Message(1) { [0] = 1 }), Is.EqualTo(DvsError.ProcSts),
            "the killed process's reply has nobody to go to");
        Assert.That(server.ReceiveRequest(out Message own, Long), Is.EqualTo(DvsError.Ok));
        Assert.That(own[0], Is.EqualTo(2));
        Assert.That(server.Reply(Client, new Message(1) { [0] = 2 }), Is.EqualTo(DvsError.Ok));
        Assert.That(second.ReadLine(), Is.EqualTo("reply 2"));
    }

    private static void ReplyGoesToItsOwnBinding(Endpoint server, Node serverNode, Node clientNode)
    {
        // The first binding's request reaches the server but its caller gives up and leaves.
        using (Endpoint c1 = clientNode.Bind(0, Client))
        {
            var first = new Message(1) { [0] = 1 };
            Assert.That(c1.SendRec(Server, ref first, DvsTimeout.FromMilliseconds(20)), Is.EqualTo(DvsError.TimedOut));
        }
        Assert.That(server.ReceiveRequest(out Message taken, Long), Is.EqualTo(DvsError.Ok));
        Assert.That(taken[0], Is.EqualTo(1));

        // A new binding of the same number sends its own first request and waits.
        using Endpoint c2 = clientNode.Bind(0, Client);
        DvsError c2Result = DvsError.Generic;
        Message c2Reply = default;
        var caller = new Thread(() =>
        {
            var second = new Message(1) { [0] = 2 };
            c2Result = c2.SendRec(Server, ref second, Long);
            c2Reply = second;
        });
        caller.Start();
        try
        {
            ServeBothRequests(server, serverNode);
        }
        finally
        {
            if (!caller.Join(TimeSpan.FromSeconds(30)))
            {
                c2.Unbind();    // wakes the caller (NotBind) before the node goes away
                caller.Join();
            }
        }
        Assert.Multiple(() =>
        {
            Assert.That(c2Result, Is.EqualTo(DvsError.Ok));
            Assert.That(c2Reply[0], Is.EqualTo(2), "the second binding got the reply to its own request, not to the first binding's");
        });
    }

    private static void ServeBothRequests(Endpoint server, Node serverNode)
    {
        WaitUntil(() => serverNode.GetEndpointInfo(0, Server)!.QueueDepth == 1, "the second binding's request reached the server");

        // The server answers the request it took (the first binding's): that reply has nobody to go to.
        DvsError late = server.Reply(Client, new Message(1) { [0] = 1 });
        Assert.That(late, Is.AnyOf(DvsError.Ok, DvsError.ProcSts), "a remote reply is dropped by the caller's node");

        Assert.That(server.ReceiveRequest(out Message own, Long), Is.EqualTo(DvsError.Ok));
        Assert.That(own[0], Is.EqualTo(2));
        Assert.That(server.Reply(Client, new Message(1) { [0] = own[0] }), Is.EqualTo(DvsError.Ok));
    }

    /// <summary>Waits for a condition that another thread makes true (bounded; no fixed sleep).</summary>
    internal static void WaitUntil(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!condition())
        {
            Assert.That(DateTime.UtcNow, Is.LessThan(deadline), "timed out waiting until " + what);
            Thread.Yield();
        }
    }
}
