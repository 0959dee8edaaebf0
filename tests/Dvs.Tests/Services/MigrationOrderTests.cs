using Dvs.Services;

namespace Dvs.Tests.Services;

/// <summary>
/// Per-sender order of one-way messages across a migration's commit, for senders on the old
/// owner's node (issue 12's ordering holes, with node hosts in this process).
/// </summary>
[TestFixture]
[NonParallelizable]
public class MigrationOrderTests
{
    private const int Server = 10;
    private const int Sender = 11;   // Send is for system endpoints (below the DC's NrSysProcs)
    private static readonly DvsTimeout Long = DvsTimeout.FromMilliseconds(30_000);

    [Test]
    public void ALocalSendBlockedOnTheMovingEndpointsFullRingFollowsItToTheNewOwnerInOrder()
    {
        using var cluster = new ThreeNodes(count: 2);
        cluster.Hosts[0].HostService(0, Server, KeyValueService.KindName);
        Assert.That(cluster.Nodes[1].WaitForRemote(0, Server, Long), Is.EqualTo(DvsError.Ok));
        using Endpoint sender = cluster.Nodes[0].Bind(0, Sender);
        // migr_start pauses the service: what the sender sends now stays in the endpoint's ring.
        Assert.That(cluster.Hosts[0].MigrateStart(0, Server, 1), Is.EqualTo(DvsError.Ok));
        int sent = 0;
        while (true)
        {
            var m = new Message(KeyValueService.Advance) { [0] = Sender, [1] = sent + 1 };
            DvsError error = sender.Send(Server, in m, DvsTimeout.NoWait);
            if (error == DvsError.Again)
            {
                break;   // the ring is full
            }
            Assert.That(error, Is.EqualTo(DvsError.Ok));
            sent++;
        }
        Assert.That(sent, Is.GreaterThan(0));
        int last = sent;
        // This Send waits for room in the full ring of the paused service; the commit moves the
        // endpoint away under it. It used to fail with DstDied (a one-way message lost); it follows
        // the endpoint to node 1 instead, behind the messages the ring held.
        Task<DvsError> blocked = Task.Run(() =>
        {
            var m = new Message(KeyValueService.Advance) { [0] = Sender, [1] = last + 1 };
            return sender.Send(Server, in m, Long);
        });
        Assert.That(cluster.Hosts[0].MigrateCommit(0, Server), Is.EqualTo(DvsError.Ok));
        Assert.That(blocked.Wait(TimeSpan.FromSeconds(60)), Is.True, "the blocked Send returns");
        Assert.That(blocked.Result, Is.EqualTo(DvsError.Ok), "the blocked Send reached the new owner");

        // A request from the same sender comes after its one-way messages: its answer shows them
        // all executed at node 1 (the kv counts numbers that came out of order).
        var get = new Message(KeyValueService.Get) { [0] = Sender };
        Assert.That(sender.SendRec(Server, ref get, Long), Is.EqualTo(DvsError.Ok));
        var outOfOrder = new Message(KeyValueService.Get) { [0] = KeyValueService.OutOfOrderKey(Sender) };
        Assert.That(sender.SendRec(Server, ref outOfOrder, Long), Is.EqualTo(DvsError.Ok));
        Assert.That((get[0], outOfOrder[0]), Is.EqualTo(((long)sent + 1, 0L)),
            "every one-way message arrived once, in the order sent (the last number, none out of order)");
    }
}
