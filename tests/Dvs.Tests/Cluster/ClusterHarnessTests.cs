using Dvs.FaultRelay;
using Dvs.Ipc;

namespace Dvs.Tests.Cluster;

/// <summary>The harness of the multi-node tests itself: host and relay processes come up and go away.</summary>
[TestFixture]
[NonParallelizable]
[Category("Cluster")]
public class ClusterHarnessTests
{
    [Test]
    public void ThreeHostProcessesStartFromTheirIniFilesAndStopOnSigterm()
    {
        string[] segments;
        using (var cluster = TestCluster.Start())
        {
            segments = Enumerable.Range(0, 3).Select(id => "/dev/shm" + NodeSegment.SegmentNameOf(cluster.NodeName(id))).ToArray();
            for (int id = 0; id < 3; id++)
            {
                using Node node = cluster.Attach(id);
                Assert.That(node.NodeId, Is.EqualTo(id), "each host serves the node of its own ini file");
                Assert.That(File.Exists(segments[id]), Is.True);
            }
            for (int id = 0; id < 3; id++)
            {
                Assert.That(cluster.Host(id).Stop(), Is.EqualTo(0), $"node {id} exit code on SIGTERM");
            }
            Assert.That(segments.Where(File.Exists), Is.Empty, "a stopped host removes its segment");
        }
    }

    [Test]
    public void AKilledHostRestartsWithTheSameIniFileAndANewIncarnation()
    {
        using var cluster = TestCluster.Start(nodeCount: 2);
        ulong before;
        using (Node node = cluster.Attach(0))
        {
            before = node.Incarnation;
        }
        cluster.Host(0).Kill();
        Assert.That(cluster.Host(0).HasExited, Is.True);
        cluster.Restart(0);
        using Node again = cluster.Attach(0);
        Assert.That(again.Incarnation, Is.Not.EqualTo(before));
    }

    [Test]
    public void RelaysRunBetweenEveryPairOfHosts()
    {
        using var cluster = TestCluster.Start(faults: new FaultOptions(0.1, 0.1, 0.25, 1));
        // Every host sees every peer up: heartbeats crossed between every pair, each way.
        for (int i = 0; i < 3; i++)
        {
            using Node node = cluster.Attach(i);
            for (int j = 0; j < 3; j++)
            {
                if (i != j)
                {
                    Assert.That(SpinWait.SpinUntil(() => node.GetPeerState(j) == "up", TimeSpan.FromSeconds(30)), Is.True,
                        $"node {i} sees node {j} up (it is {node.GetPeerState(j)})");
                }
            }
        }
        // And that traffic went through the relays: each forwarded datagrams both ways.
        IReadOnlyDictionary<string, IReadOnlyList<string>> relays = cluster.StopRelays();
        Assert.That(relays.Keys, Is.EquivalentTo(new[] { "0-1", "0-2", "1-2" }));
        foreach ((string pair, IReadOnlyList<string> lines) in relays)
        {
            Assert.That(lines, Has.Count.EqualTo(2), $"relay {pair} printed its counters");
            foreach (string line in lines)
            {
                long forwarded = long.Parse(line.Split(' ').Single(w => w.StartsWith("forwarded=", StringComparison.Ordinal))["forwarded=".Length..],
                    System.Globalization.CultureInfo.InvariantCulture);
                Assert.That(forwarded, Is.GreaterThan(0), $"relay {pair}: {line}");
            }
        }
    }
}
