using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Dvs.Configuration;
using Dvs.Tests.Ipc;

namespace Dvs.Tests.Cluster;

/// <summary>100,000 hostile datagrams at a host's UDP port: it keeps serving and counts every one.</summary>
[TestFixture]
[NonParallelizable]
[Category("Cluster")]
public class GarbageDatagramTests
{
    private const int Datagrams = 100_000;
    // Sent in bursts no larger than the receive buffer holds, each counted before the next, so the
    // kernel never drops one uncounted and the total can be checked exactly.
    private const int Burst = 100;
    private const int Server = 1;

    // Every drop counter but those the peers' own traffic can move (a spurious retransmission under
    // load is a duplicate; a late reply or a full ring is about messages, not datagrams): garbage
    // never passes the HMAC, so it never reaches a session or an endpoint.
    private static readonly NodeCounter[] DropCounters =
        Enum.GetValues<NodeCounter>().Where(c => c.ToString().StartsWith("Drop", StringComparison.Ordinal))
            .Except([NodeCounter.DropDuplicate, NodeCounter.DropStaleIncarnation, NodeCounter.DropLateReply, NodeCounter.DropFullRing])
            .ToArray();

    [Test]
    public void AHostHitByAHundredThousandBadDatagramsKeepsServingAndCountsThemAll()
    {
        int seed = int.TryParse(Environment.GetEnvironmentVariable("DVS_GARBAGE_SEED"), out int s) ? s : 4242;
        TestContext.Out.WriteLine($"garbage seed {seed} (replay: DVS_GARBAGE_SEED={seed})");
        using var cluster = TestCluster.Start();
        using ChildProcess server = ClusterApps.Server(cluster.NodeName(0), 0, Server, 3);
        using Node node0 = cluster.Attach(0);
        // The session with the peers is up before the attack, so frames of theirs are not mistaken for it.
        using (ChildProcess warmup = ClusterApps.Clients(cluster.NodeName(1), 0, 100, 1, Server, 100, 3))
        {
            ClusterApps.ExpectDone(warmup, 1, 100);
        }

        Dictionary<NodeCounter, long> before = Read(node0);
        var garbage = new GarbageDatagrams(seed, cluster.ClusterName, ClusterKey.FromText(cluster.KeyText).Span, 0, 1, 2);
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        var target = new IPEndPoint(IPAddress.Loopback, cluster.Ports[0]);
        byte[] buffer = new byte[9000];
        for (int sent = 0; sent < Datagrams;)
        {
            for (int i = 0; i < Burst; i++, sent++)
            {
                int length = garbage.Next(buffer);
                socket.SendTo(buffer.AsSpan(0, length), SocketFlags.None, target);
            }
            int expected = sent;
            WaitUntil(() => Drops(node0, before) >= expected, TimeSpan.FromSeconds(30),
                () => $"after {expected} datagrams node0 counted {Drops(node0, before)} drops; host alive: {!cluster.Host(0).HasExited}");
        }

        Dictionary<NodeCounter, long> after = Read(node0);
        string counts = string.Join(", ", DropCounters.Where(c => after[c] != before[c]).Select(c => $"{c} +{after[c] - before[c]}"));
        TestContext.Out.WriteLine($"made: {string.Join(", ", garbage.Made.Select(m => $"{m.Key} {m.Value}"))}; counted: {counts}");
        Assert.That(cluster.Host(0).HasExited, Is.False, "the host survived");
        Assert.That(Drops(node0, before), Is.EqualTo(Datagrams), "every datagram dropped and counted once");
        Assert.That(after[NodeCounter.DropBadHmac] - before[NodeCounter.DropBadHmac], Is.GreaterThanOrEqualTo(garbage.Made[GarbageKind.BadHmac]));
        Assert.That(after[NodeCounter.DropWrongCluster] - before[NodeCounter.DropWrongCluster], Is.GreaterThanOrEqualTo(garbage.Made[GarbageKind.WrongCluster]));
        Assert.That(after[NodeCounter.DropUnknownNode] - before[NodeCounter.DropUnknownNode], Is.GreaterThanOrEqualTo(garbage.Made[GarbageKind.UnknownNode]));

        // And it still serves: calls from both other nodes, each reply checked.
        using (ChildProcess c1 = ClusterApps.Clients(cluster.NodeName(1), 0, 101, 1, Server, 1000, 3))
        using (ChildProcess c2 = ClusterApps.Clients(cluster.NodeName(2), 0, 200, 1, Server, 1000, 3))
        {
            ClusterApps.ExpectDone(c1, 1, 1000);
            ClusterApps.ExpectDone(c2, 1, 1000);
        }
        Assert.That(node0.GetPeerState(1), Is.EqualTo("up"));
        Assert.That(node0.GetPeerState(2), Is.EqualTo("up"));
        using Endpoint stopper = node0.Bind(0, 2);
        Assert.That(ClusterApps.StopServer(server, stopper, Server), Is.EqualTo(2100));
    }

    private static Dictionary<NodeCounter, long> Read(Node node) => DropCounters.ToDictionary(c => c, node.GetCounter);

    private static long Drops(Node node, Dictionary<NodeCounter, long> before) =>
        DropCounters.Sum(c => node.GetCounter(c) - before[c]);

    // Polls a counter of another process, which has no wake-up to wait on; bounded.
    private static void WaitUntil(Func<bool> condition, TimeSpan timeout, Func<string> failure)
    {
        var clock = Stopwatch.StartNew();
        var spin = new SpinWait();
        while (!condition())
        {
            if (clock.Elapsed > timeout)
            {
                Assert.Fail(failure());
            }
            spin.SpinOnce(sleep1Threshold: 20);
        }
    }
}
