using Dvs.Hosting;
using Dvs.Services;
using Dvs.Tests.Cluster;
using static Dvs.Tests.Migration.MigrationChecks;

namespace Dvs.Tests.Migration;

/// <summary>
/// Per-sender FIFO and exactly-once of one-way Sends across migration commits (issue 12, the
/// FENCE of docs/protocol.md), with real node host processes: the "kv" service on node0 moving
/// between node0 and node1, senders on node2 (a third node: it sends to the old owner until it
/// learns the new one, then directly) or on node1 (the target: its messages went through node0
/// before the bind, directly after), each streaming Advance 1, 2, 3... on its own key (privileged endpoints: only they may Send) while the service moves back and forth. The
/// service counts every number that is not its key's last + 1: a message lost, repeated or
/// overtaken by a newer one of the same sender.
/// </summary>
[TestFixture]
[NonParallelizable]
[Category("Cluster")]
public class OneWayOrderTests
{
    private static readonly DvsTimeout CallTimeout = DvsTimeout.FromMilliseconds(30_000);

    [Test]
    public void OneWaySendsFromAThirdNodeStayInOrderAcrossCommits() =>
        StreamWhileMigrating(senderNode: 2, firstSender: 20);

    /// <summary>
    /// The target's own senders: their earlier messages come back through the old owner, and they
    /// wait (the slot's Fenced flag) until the node host's own FENCE is back.
    /// </summary>
    [Test]
    public void OneWaySendsFromTheTargetStayInOrderAcrossCommits() =>
        StreamWhileMigrating(senderNode: 1, firstSender: 22);

    private static void StreamWhileMigrating(int senderNode, int firstSender)
    {
        using TestCluster cluster = StartCluster();
        var senders = new List<KvClients>();
        try
        {
            senders.Add(KvClients.Start(cluster.NodeName(senderNode), 0, firstSender, 2, Server, 2000, oneWay: true));
            AllProgress(senders);
            int at = 0;
            uint epoch = 0;
            foreach (int to in new[] { 1, 0, 1, 0, 1, 0 })
            {
                using ControlClient control = cluster.Control(at);
                ControlResponse r = control.Migrate(0, Server, to);
                Assert.That((r.Ok, r.Epoch), Is.EqualTo((true, (uint?)++epoch)), r.Message);
                at = to;
                AllProgress(senders);
            }
            var sent = senders.SelectMany(s => s.Stop()).ToDictionary(p => p.Key, p => p.Value);
            ExpectArrivedInOrder(cluster, at, sent);
        }
        finally
        {
            senders.ForEach(s => s.Dispose());
        }
    }

    /// <summary>
    /// Each sender's key reaches its count (the last Sends may still be on their way: bounded
    /// wait), and no number came out of order.
    /// </summary>
    private static void ExpectArrivedInOrder(TestCluster cluster, int owner, IReadOnlyDictionary<int, long> sent)
    {
        using Node node = cluster.Attach(owner);
        using Endpoint probe = node.Bind(0, 99);
        var failures = new List<string>();
        foreach ((int ep, long count) in sent)
        {
            long last = -1;
            SpinWait.SpinUntil(() => (last = Get(probe, ep)) >= count, TimeSpan.FromSeconds(30));
            long outOfOrder = Get(probe, KeyValueService.OutOfOrderKey(ep));
            TestContext.Progress.WriteLine($"sender {ep}: sent {count}, last arrived {last}, out of order {outOfOrder}");
            if (last != count || outOfOrder != 0)
            {
                failures.Add($"sender {ep}: sent 1..{count}, the service's last is {last}, {outOfOrder} arrived out of order");
            }
        }
        Assert.That(failures, Is.Empty, "every one-way Send arrives once, in its sender's order");
    }

    private static long Get(Endpoint probe, long key)
    {
        var get = new Message(KeyValueService.Get) { [0] = key };
        Assert.That(probe.SendRec(Server, ref get, CallTimeout), Is.EqualTo(DvsError.Ok));
        return get[0];
    }
}
