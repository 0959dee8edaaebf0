using Dvs.Services;

namespace Dvs.Tests.Services;

/// <summary>
/// A client endpoint bound again starts its request sequences over: its first request must be
/// executed, not answered with the reply its predecessor got for the same sequence number.
/// </summary>
[TestFixture]
public class ClientIncarnationTests
{
    private static readonly DvsTimeout Long = DvsTimeout.FromMilliseconds(30_000);
    private const int Server = 10;
    private const int Client = 100;

    [TestCase(0, TestName = "ARebound client on the server's node is a new client to the reply cache")]
    [TestCase(1, TestName = "ARebound client on another node is a new client to the reply cache")]
    public void AReboundClientIsANewClientToTheReplyCache(int clientNode)
    {
        using var cluster = new ThreeNodes(count: 2);
        cluster.Hosts[0].HostService(0, Server, KeyValueService.KindName);
        Assert.That(cluster.Nodes[1].WaitForRemote(0, Server, Long), Is.EqualTo(DvsError.Ok));

        long first = IncrementOnce(cluster.Nodes[clientNode]);
        long second = IncrementOnce(cluster.Nodes[clientNode]);

        var kv = (KeyValueService)cluster.Hosts[0].FindService(0, Server)!.Service;
        Assert.Multiple(() =>
        {
            Assert.That(first, Is.EqualTo(1));
            Assert.That(second, Is.EqualTo(2), "the second binding's request 1 was executed, not answered from the cache");
            Assert.That(kv.Executed, Is.EqualTo(2));
        });
    }

    [Test]
    public void TheTableKeysOnIncarnationAndSequence()
    {
        var table = new ExactlyOnceTable();
        var reply = new Message(7);
        table.Record(Client, incarnation: 5, sequence: 1, in reply);
        Assert.Multiple(() =>
        {
            Assert.That(table.TryGetReply(Client, 5, 1, out Message cached), Is.True);
            Assert.That(cached.Type, Is.EqualTo(7));
            Assert.That(table.TryGetReply(Client, 6, 1, out _), Is.False, "another incarnation, same sequence");
            Assert.That(table.TryGetReply(Client, 5, 2, out _), Is.False, "same incarnation, next sequence");
        });
    }

    /// <summary>Binds the client, makes its first call (sequence 1), unbinds; the counter's new value.</summary>
    private static long IncrementOnce(Node node)
    {
        using Endpoint client = node.Bind(0, Client);
        var m = new Message(KeyValueService.Increment) { [0] = Client };
        Assert.That(client.SendRec(Server, ref m, Long), Is.EqualTo(DvsError.Ok));
        return m[0];
    }
}
