using Dvs.Tests.Ipc;

namespace Dvs.Tests.Cluster;

/// <summary>Two DCs over the same three hosts: an endpoint of one never reaches the other's, across nodes too.</summary>
[TestFixture]
[NonParallelizable]
[Category("Cluster")]
public class DcIsolationTests
{
    [Test]
    public void AnEndpointOfDc1NeverReachesAnEndpointOfDc0OnAnotherNode()
    {
        using var cluster = TestCluster.Start(dcs: [("dc0", 0), ("dc1", 1)]);
        // Endpoint 1 exists in both DCs, on different nodes; endpoint 2 only in DC 0.
        using ChildProcess dc0Server = ClusterApps.Server(cluster.NodeName(0), 0, 1, 100);
        using ChildProcess dc1Server = ClusterApps.Server(cluster.NodeName(2), 1, 1, 201);
        using ChildProcess dc0Only = ClusterApps.Server(cluster.NodeName(0), 0, 2, 102);

        // The same endpoint number reaches its own DC's server from node1 (each reply's tag says which).
        using (ChildProcess dc1Callers = ClusterApps.Clients(cluster.NodeName(1), 1, 100, 2, 1, 500, 201))
        using (ChildProcess dc0Callers = ClusterApps.Clients(cluster.NodeName(1), 0, 100, 2, 1, 500, 100))
        {
            ClusterApps.ExpectDone(dc1Callers, 2, 500);
            ClusterApps.ExpectDone(dc0Callers, 2, 500);
        }

        using Node node1 = cluster.Attach(1);
        // Node1 knows DC 0's endpoint 2 (so a router that ignored the DC would find it)...
        Assert.That(node1.WaitForRemote(0, 2, DvsTimeout.FromMilliseconds(60_000)), Is.EqualTo(DvsError.Ok));
        Assert.That(node1.GetEndpointInfo(1, 2)?.State, Is.EqualTo("free"), "DC 1 has no endpoint 2 anywhere");
        using (Endpoint dc1Caller = node1.Bind(1, 150))
        {
            // ...yet an endpoint of DC 1 calling 2 gets an error, at once, and DC 0's server sees nothing.
            var m = new Message(5) { [0] = 0 };
            DvsError e = dc1Caller.SendRec(2, ref m, DvsTimeout.FromMilliseconds(30_000));
            Assert.That(e, Is.Not.EqualTo(DvsError.Ok).And.Not.EqualTo(DvsError.TimedOut), $"DC 1 calling endpoint 2 gave {e}");
            Assert.That(dc1Caller.Send(2, new Message(6), DvsTimeout.FromMilliseconds(30_000)), Is.Not.EqualTo(DvsError.Ok));
            Assert.That(dc1Caller.Notify(2), Is.Not.EqualTo(DvsError.Ok));
        }

        using Node node0 = cluster.Attach(0);
        using Endpoint stopper = node0.Bind(0, 3);
        Assert.That(ClusterApps.StopServer(dc0Only, stopper, 2), Is.Zero, "DC 0's endpoint 2 received nothing from DC 1");
        Assert.That(ClusterApps.StopServer(dc0Server, stopper, 1), Is.EqualTo(1000), "only DC 0's callers reached DC 0's endpoint 1");
        using Node node2 = cluster.Attach(2);
        using Endpoint dc1Stopper = node2.Bind(1, 3);
        Assert.That(ClusterApps.StopServer(dc1Server, dc1Stopper, 1), Is.EqualTo(1000), "only DC 1's callers reached DC 1's endpoint 1");
    }
}
