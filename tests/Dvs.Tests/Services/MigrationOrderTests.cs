using Dvs.Ipc;
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
            var m = new Message(7) { [0] = sent };
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
            var m = new Message(7) { [0] = last };
            return sender.Send(Server, in m, Long);
        });
        Assert.That(cluster.Hosts[0].MigrateCommit(0, Server), Is.EqualTo(DvsError.Ok));
        Assert.That(blocked.Wait(TimeSpan.FromSeconds(60)), Is.True, "the blocked Send returns");
        Assert.That(blocked.Result, Is.EqualTo(DvsError.Ok), "the blocked Send reached the new owner");

        // A request from the same sender comes after its one-way messages: once it is answered,
        // all of them are at node 1, in the service's queue (it serves requests only).
        var get = new Message(KeyValueService.Get) { [0] = 1 };
        Assert.That(sender.SendRec(Server, ref get, Long), Is.EqualTo(DvsError.Ok));
        ServiceHost moved = cluster.Hosts[1].FindService(0, Server) ?? throw new AssertionException("node 1 serves the endpoint");
        Assert.That(moved.Pause(TimeSpan.FromSeconds(30)), Is.True);
        var held = new List<HeldMessage>();
        moved.Endpoint.DrainHeld(held);
        moved.Resume(null);
        long[] order = held.Where(h => h.Message.Source == Sender && h.Message.Type == 7).Select(h => h.Message[0]).ToArray();
        Assert.That(order, Is.EqualTo(Enumerable.Range(0, sent + 1).Select(i => (long)i).ToArray()),
            "every one-way message arrived once, in the order sent");
    }
}
