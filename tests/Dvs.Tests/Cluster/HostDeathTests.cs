using System.Diagnostics;

namespace Dvs.Tests.Cluster;

/// <summary>
/// A client's node host SIGKILLed while it waits (issue 11.8), and a remote node host killed
/// (issue 11.4): waiters get a clear error in bounded time, later calls fail at once, and a
/// restarted host is named in the error of the old objects.
/// </summary>
[TestFixture]
[NonParallelizable]
[Category("Cluster")]
public class HostDeathTests
{
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(10);

    [Test]
    public void AForeverSendRecReturnsHostDownWhenItsOwnHostIsKilledAndHostRestartedOnceItIsBack()
    {
        using var cluster = TestCluster.Start(nodeCount: 2);
        using Node node1 = cluster.Attach(1);
        using Endpoint server = node1.Bind(0, 1);   // never answers
        Node node0 = cluster.Attach(0);
        Endpoint client = node0.Bind(0, 100);
        Assert.That(node0.WaitForRemote(0, 1, DvsTimeout.FromMilliseconds(30_000)), Is.EqualTo(DvsError.Ok));
        Task<DvsError> call = Task.Run(() =>
        {
            var m = new Message(1);
            return client.SendRec(1, ref m, DvsTimeout.Forever);
        });
        Assert.That(server.ReceiveRequest(out _, DvsTimeout.FromMilliseconds(30_000)), Is.EqualTo(DvsError.Ok), "the call is in flight");

        cluster.Host(0).Kill();
        Assert.That(call.Wait(Guard), Is.True, "the waiter returns after its host died");
        Assert.That(call.Result, Is.EqualTo(DvsError.HostDown));
        var late = new Message(2);
        Assert.That(client.SendRec(1, ref late, DvsTimeout.Forever), Is.EqualTo(DvsError.HostDown), "a new call fails at once");

        cluster.Restart(0);
        Assert.That(client.SendRec(1, ref late, DvsTimeout.Forever), Is.EqualTo(DvsError.HostRestarted),
            "the old endpoint belongs to the previous host");
        Assert.That(client.ReceiveAsync(EndpointNumber.Any, DvsTimeout.Forever).AsTask().Wait(Guard), Is.True);
        ulong before = node0.Incarnation;
        client.Dispose();
        node0.Dispose();
        using Node fresh = cluster.Attach(0);
        Assert.That(fresh.Incarnation, Is.Not.EqualTo(before));
        using Endpoint a = fresh.Bind(0, 2);
        using Endpoint b = fresh.Bind(0, 3);
        Assert.That(a.Send(3, new Message(1), DvsTimeout.NoWait), Is.EqualTo(DvsError.Ok), "the new attachment works");
    }

    [Test]
    public void CallsToANodeWhoseHostWasKilledFailAtOnceOnceItIsDown()
    {
        using var cluster = TestCluster.Start(nodeCount: 2, peerDownMs: 1000);
        using (Node node1 = cluster.Attach(1))
        using (Endpoint server = node1.Bind(0, 1))
        {
            using Node node0 = cluster.Attach(0);
            using Endpoint client = node0.Bind(0, 100);
            Assert.That(node0.WaitForRemote(0, 1, DvsTimeout.FromMilliseconds(30_000)), Is.EqualTo(DvsError.Ok));
            cluster.Host(1).Kill();
            var m = new Message(1);
            Assert.That(client.SendRec(1, ref m, DvsTimeout.FromMilliseconds(30_000)), Is.EqualTo(DvsError.NotConnected));
            for (int i = 0; i < 3; i++)
            {
                var clock = Stopwatch.StartNew();
                Assert.That(client.SendRec(1, ref m, DvsTimeout.Forever), Is.EqualTo(DvsError.NotConnected));
                Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(1)), "a call to a node known down fails at once (it took 2 s)");
            }
        }
    }
}
