using Dvs.FaultRelay;
using Dvs.Tests.Ipc;

namespace Dvs.Tests.Cluster;

/// <summary>kill -9 of a node host while callers on other nodes use its server, then a restart.</summary>
[TestFixture]
[NonParallelizable]
[Category("Cluster")]
public class HostFailureTests
{
    private const int Server = 1;

    [TestCase(false)]
    [TestCase(true)]
    public void CallersOfAKilledHostGetAnErrorNotAHangAndServiceResumesWhenItRestarts(bool lossy)
    {
        // Lossy: the relays of the 100,000-call test between the hosts, so the restart's
        // re-synchronisation must survive lost, duplicated and reordered frames too.
        FaultOptions? faults = lossy ? new FaultOptions(0.10, 0.10, 0.25, 77) : null;
        if (faults is not null)
        {
            TestContext.Out.WriteLine($"relay seed {faults.Seed}");
        }
        using var cluster = TestCluster.Start(faults: faults, heartbeatMs: 100, peerDownMs: 1000);
        using (ChildProcess server = ClusterApps.Server(cluster.NodeName(0), 0, Server, 1))
        {
            using var caller1 = new ChildProcess("caller", cluster.NodeName(1), "0", "100", "1");
            using var caller2 = new ChildProcess("caller", cluster.NodeName(2), "0", "200", "1");
            foreach (ChildProcess caller in new[] { caller1, caller2 })
            {
                caller.ExpectLine("ready");
                caller.ExpectLine("flowing");
            }

            // Calls are in flight from both nodes when node0's host dies without a word.
            cluster.Host(0).Kill();
            foreach (ChildProcess caller in new[] { caller1, caller2 })
            {
                string line = caller.ReadLine();
                Assert.That(line, Does.Match(@"^stopped (NotConnected|DstDied) after \d+$"),
                    "a call to a dead node ends with a DVS error (each call may wait 60 s, the peer-down time is 1 s)");
                Assert.That(caller.WaitForExit(), Is.EqualTo(0));
            }

            using Node node1 = cluster.Attach(1);
            Assert.That(node1.GetPeerState(0), Is.EqualTo("down"));
            Assert.That(node1.GetCounter(NodeCounter.PeerDownEvents), Is.Positive);
            // A new call to the dead node fails at once too, rather than waiting out its timeout.
            using (Endpoint late = node1.Bind(0, 101))
            {
                var m = new Message(1);
                Assert.That(late.SendRec(Server, ref m, DvsTimeout.FromMilliseconds(60_000)), Is.AnyOf(DvsError.NotConnected, DvsError.DstDied));
            }

            // The server's own host is gone; it is restarted with the host.
            server.Kill();
        }

        cluster.Restart(0);
        using ChildProcess again = ClusterApps.Server(cluster.NodeName(0), 0, Server, 2);
        using ChildProcess c1 = ClusterApps.Clients(cluster.NodeName(1), 0, 100, 2, Server, 1000, 2);
        using ChildProcess c2 = ClusterApps.Clients(cluster.NodeName(2), 0, 200, 2, Server, 1000, 2);
        ClusterApps.ExpectDone(c1, 2, 1000);
        ClusterApps.ExpectDone(c2, 2, 1000);

        using Node node0 = cluster.Attach(0);
        using Node node2 = cluster.Attach(2);
        Assert.That(node2.GetPeerState(0), Is.EqualTo("up"));
        Assert.That(node2.GetCounter(NodeCounter.PeerRestarts), Is.Positive, "node2 noticed node0's new incarnation");
        using Endpoint stopper = node0.Bind(0, 2);
        Assert.That(ClusterApps.StopServer(again, stopper, Server), Is.EqualTo(4000));
    }

    [Test]
    public void AServerOutlivesAClientNodeKilledMidCallAndKeepsServingTheOthers()
    {
        using var cluster = TestCluster.Start(peerDownMs: 1000);
        using ChildProcess server = ClusterApps.Server(cluster.NodeName(0), 0, Server, 1);
        using (var doomed = new ChildProcess("caller", cluster.NodeName(1), "0", "100", "1"))
        using (ChildProcess survivors = ClusterApps.Clients(cluster.NodeName(2), 0, 200, 2, Server, 20_000, 1))
        {
            doomed.ExpectLine("ready");
            doomed.ExpectLine("flowing");
            // node1's host dies with its caller's request (or the reply to it) on the way, while
            // node2's callers keep the server busy.
            cluster.Host(1).Kill();
            doomed.Kill();
            ClusterApps.ExpectDone(survivors, 2, 20_000);
        }

        // node1 comes back; a new caller there is served (a new endpoint: the server's per-caller
        // order check remembers the dead one's count).
        cluster.Restart(1);
        using (ChildProcess newcomer = ClusterApps.Clients(cluster.NodeName(1), 0, 101, 1, Server, 1000, 1))
        {
            ClusterApps.ExpectDone(newcomer, 1, 1000);
        }
        using Node node0 = cluster.Attach(0);
        using Endpoint stopper = node0.Bind(0, 2);
        Assert.That(ClusterApps.StopServer(server, stopper, Server), Is.GreaterThanOrEqualTo(41_100), "every survivor's call executed");
    }

    [Test]
    public void CallersOfAServerKilledOnAnotherNodeGetDstDiedAndANewServerIsReachedAgain()
    {
        using var cluster = TestCluster.Start(nodeCount: 2);
        using (ChildProcess server = ClusterApps.Server(cluster.NodeName(0), 0, Server, 1))
        using (var caller = new ChildProcess("caller", cluster.NodeName(1), "0", "100", "1"))
        {
            caller.ExpectLine("ready");
            caller.ExpectLine("flowing");
            // The server process dies with a call of node1 in flight; its host lives on and reaps it.
            server.Kill();
            Assert.That(caller.ReadLine(), Does.Match(@"^stopped (DstDied|NotBind|DeadSrcDst) after \d+$"),
                "a call to a server that died on another node ends with a DVS error");
            Assert.That(caller.WaitForExit(), Is.EqualTo(0));
        }

        using ChildProcess again = ClusterApps.Server(cluster.NodeName(0), 0, Server, 2);
        using ChildProcess clients = ClusterApps.Clients(cluster.NodeName(1), 0, 100, 1, Server, 1000, 2);
        ClusterApps.ExpectDone(clients, 1, 1000);
        using Node node0 = cluster.Attach(0);
        using Endpoint stopper = node0.Bind(0, 2);
        Assert.That(ClusterApps.StopServer(again, stopper, Server), Is.EqualTo(1000));
    }
}
