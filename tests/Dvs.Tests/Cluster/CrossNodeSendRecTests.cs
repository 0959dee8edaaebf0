using Dvs.FaultRelay;
using Dvs.Tests.Ipc;

namespace Dvs.Tests.Cluster;

/// <summary>
/// 100,000 SendRec calls between host processes on loopback: a server on node0, callers on node1
/// and node2. Each caller checks that reply i answers request i; the server checks that each
/// caller's requests arrive in order, once each; the total it executed is checked at the end.
/// </summary>
[TestFixture]
[NonParallelizable]
[Category("Cluster")]
public class CrossNodeSendRecTests
{
    private const int Server = 1;
    private const long Tag = 7;
    private const long Calls = 100_000;

    /// <summary>Seed of the relays' decisions; DVS_RELAY_SEED replays another run.</summary>
    private static int RelaySeed =>
        int.TryParse(Environment.GetEnvironmentVariable("DVS_RELAY_SEED"), out int seed) ? seed : 20261125;

    [Test]
    public void AHundredThousandCallsAcrossThreeHostsAreEachAnsweredOnceInOrder()
    {
        using var cluster = TestCluster.Start();
        RunTraffic(cluster, threadsPerNode: 4);
        using Node node1 = cluster.Attach(1);
        Assert.That(node1.GetCounter(NodeCounter.DropBadHmac), Is.Zero, "nothing but the cluster's own traffic");
    }

    [Test]
    public void AHundredThousandCallsThroughALossyDuplicatingReorderingNetworkAreEachAnsweredOnceInOrder()
    {
        int seed = RelaySeed;
        TestContext.Out.WriteLine($"relay seed {seed} (replay: DVS_RELAY_SEED={seed}); pair k of hosts uses seed + k");
        using var cluster = TestCluster.Start(faults: new FaultOptions(Drop: 0.10, Duplicate: 0.10, Reorder: 0.25, seed));
        // More callers than without faults: a lost or held-back datagram then delays one call of many
        // (the others' frames carry the acks that repair it) instead of stalling the run.
        RunTraffic(cluster, threadsPerNode: 16);

        // The faults really happened on the way: lost frames were sent again, duplicates discarded.
        using Node node0 = cluster.Attach(0);
        using Node node1 = cluster.Attach(1);
        Assert.Multiple(() =>
        {
            Assert.That(node0.GetCounter(NodeCounter.Retransmissions) + node1.GetCounter(NodeCounter.Retransmissions), Is.Positive, "retransmissions");
            Assert.That(node0.GetCounter(NodeCounter.DropDuplicate) + node1.GetCounter(NodeCounter.DropDuplicate), Is.Positive, "duplicates dropped");
        });
    }

    private static void RunTraffic(TestCluster cluster, int threadsPerNode)
    {
        long callsPerThread = Calls / (2 * threadsPerNode);
        Assert.That(callsPerThread * 2 * threadsPerNode, Is.EqualTo(Calls));
        using ChildProcess server = ClusterApps.Server(cluster.NodeName(0), 0, Server, Tag);
        using ChildProcess c1 = ClusterApps.Clients(cluster.NodeName(1), 0, 100, threadsPerNode, Server, callsPerThread, Tag);
        using ChildProcess c2 = ClusterApps.Clients(cluster.NodeName(2), 0, 200, threadsPerNode, Server, callsPerThread, Tag);
        ClusterApps.ExpectDone(c1, threadsPerNode, callsPerThread);
        ClusterApps.ExpectDone(c2, threadsPerNode, callsPerThread);

        using Node node0 = cluster.Attach(0);
        using Endpoint stopper = node0.Bind(0, 2);
        Assert.That(ClusterApps.StopServer(server, stopper, Server), Is.EqualTo(Calls),
            "the server executed every request exactly once");
        var perClient = new List<string>();
        for (int t = 0; t < 2 * threadsPerNode; t++)
        {
            perClient.Add(server.ReadLine());
        }
        string[] expected = Enumerable.Range(100, threadsPerNode).Concat(Enumerable.Range(200, threadsPerNode))
            .Select(ep => $"client {ep} executed {callsPerThread}").ToArray();
        Assert.That(perClient, Is.EqualTo(expected), "each caller's requests, in order, once each");
        Assert.That(server.WaitForExit(), Is.EqualTo(0));
        Assert.That(node0.GetCounter(NodeCounter.MessagesReceived), Is.GreaterThanOrEqualTo(Calls),
            "every request crossed the network to node0's host");
    }
}
