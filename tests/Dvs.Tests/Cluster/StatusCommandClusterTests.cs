using System.Diagnostics;
using System.Text.Json;
using Dvs.Configuration;
using Dvs.Hosting;
using Dvs.Services;
using Dvs.Tests.Cli;

namespace Dvs.Tests.Cluster;

/// <summary>
/// dvs status, dvs top and dvs migrate against a running 2-node cluster of node host processes,
/// before and after one host is killed with SIGKILL.
/// </summary>
[TestFixture]
[NonParallelizable]
[Category("Cluster")]
public class StatusCommandClusterTests
{
    private const int Server = 10;
    private static readonly ServiceConfig Kv = new() { Name = "kv", Dc = "dc0", Endpoint = Server, Kind = KeyValueService.KindName };

    [Test]
    public void StatusAndTopShowTheClusterAndThenANodeThatWentDown()
    {
        using var cluster = TestCluster.Start(nodeCount: 2, peerDownMs: 1000, services: [(0, Kv)]);
        string n0 = cluster.NodeName(0), n1 = cluster.NodeName(1);
        WaitForStatus(cluster, 1, s => s.Peers.Single().State == "up" && Endpoint(s, Server)?.State == "remote",
            "node1 does not see node0 up with the kv endpoint");

        CliResult status = CliRun.Run("status", "--node", n0);
        Assert.That(status.ExitCode, Is.EqualTo(0), status.ToString());
        string[] lines = status.Output.Split('\n');
        Assert.That(status.Output, Does.Contain($"node {n0} (id 0), incarnation "));
        Assert.That(lines, Has.Some.Match($@"\b{n1}\b.*\b1\b.*\bup\b"), "node1's row says it is up");
        Assert.That(lines, Has.Some.Match($@"dc0 \(0\).*\b{Server}\b.*\blocal\b.*\b0\b.*kv: \d+ executed"), "the kv endpoint is local here");
        Assert.That(status.Output, Does.Contain("migrations").And.Contain("messages").And.Contain("drops"));

        NodeStatus json = Json(CliRun.Run("status", "--node", n1, "--json"));
        Assert.That(json.Name, Is.EqualTo(n1));
        Assert.That(json.Incarnation, Is.Not.Zero);
        Assert.That(json.Peers.Single().State, Is.EqualTo("up"));
        Assert.That(json.Peers.Single().Incarnation, Is.Not.Zero, "node1 heard node0's incarnation");
        Assert.That(Endpoint(json, Server)!.Owner, Is.EqualTo(0));

        // A migration moves the endpoint; both nodes' status show the new owner and epoch.
        CliResult migrate = CliRun.Run("migrate", "--node", n0, "--endpoint", Server.ToString(), "--to", n1);
        Assert.That(migrate.ExitCode, Is.EqualTo(0), migrate.ToString());
        Assert.That(migrate.Output, Does.Contain("epoch 1"));
        NodeStatus after = Json(CliRun.Run("status", "--node", n1, "--json"));
        Assert.That(Endpoint(after, Server)!.State, Is.EqualTo("local"));
        Assert.That(Endpoint(after, Server)!.Epoch, Is.EqualTo(1u));
        NodeStatus source = Json(CliRun.Run("status", "--node", n0, "--json"));
        Assert.That(source.Counters["migrationsCommitted"], Is.EqualTo(1));

        CliResult top = CliRun.Run("top", "--node", n0, "--count", "2", "--interval-ms", "100");
        Assert.That(top.ExitCode, Is.EqualTo(0), top.ToString());
        Assert.That(top.Output, Does.Contain("refresh 2 of 2").And.Contain($"node {n0} (id 0)"));
        Assert.That(top.Output.Split('\n'), Has.Some.Match($@"\b{n1}\b.*\bup\b"));

        // kill -9 of node1's host: node0 notices after the peer-down time.
        cluster.Host(1).Kill();
        WaitForStatus(cluster, 0, s => s.Peers.Single().State == "down", "node0 does not see node1 down");

        CliResult down = CliRun.Run("status", "--node", n0);
        Assert.That(down.ExitCode, Is.EqualTo(0), down.ToString());
        Assert.That(down.Output.Split('\n'), Has.Some.Match($@"\b{n1}\b.*\bdown\b"), "node1's row says it is down");
        Assert.That(down.Output, Does.Match(@"peers\s+│\s+0 of 1 up; \d+ up events, [1-9]\d* down events"));
        NodeStatus downJson = Json(CliRun.Run("status", "--node", n0, "--json"));
        Assert.That(downJson.Peers.Single().State, Is.EqualTo("down"));
        Assert.That(downJson.Counters["peerDownEvents"], Is.Positive);

        CliResult topDown = CliRun.Run("top", "--node", n0, "--count", "1");
        Assert.That(topDown.ExitCode, Is.EqualTo(0), topDown.ToString());
        Assert.That(topDown.Output.Split('\n'), Has.Some.Match($@"\b{n1}\b.*\bdown\b"));

        // node0's host logged (at its default level) the peer, the migration's steps and the loss.
        string[] logged =
        [
            $"peer node 1 ({n1}) is up", "migration 1: endpoint 10 of DC 0 to node 1: start", "migration 1: paused",
            "migration 1: node 1 is prepared", "committed to node 1, epoch 1", $"peer node 1 ({n1}) is down",
        ];
        var clock = Stopwatch.StartNew();
        while (!logged.All(cluster.Host(0).Stderr.Contains) && clock.Elapsed < TimeSpan.FromSeconds(30))
        {
            Thread.Sleep(50);   // stderr is read by another thread of this process; bounded poll
        }
        Assert.That(cluster.Host(0).Stderr, Does.Contain(logged[0]).And.Contain(logged[1]).And.Contain(logged[2])
            .And.Contain(logged[3]).And.Contain(logged[4]).And.Contain(logged[5]));

        // The killed host itself: a clear failure, not a hang.
        CliResult dead = CliRun.Run("status", "--node", n1, "--timeout-s", "5");
        Assert.That(dead.ExitCode, Is.EqualTo(1), dead.ToString());
        Assert.That(dead.Error, Does.StartWith($"dvs status: {n1}: "));
    }

    private static NodeStatus Json(CliResult r)
    {
        Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString());
        Assert.That(r.Output.TrimEnd().Split('\n'), Has.Length.EqualTo(1), "one JSON line");
        return JsonSerializer.Deserialize(r.Output, ControlJsonContext.Default.NodeStatus) ?? throw new AssertionException("null status");
    }

    private static EndpointStatus? Endpoint(NodeStatus s, int endpoint) =>
        s.Dcs.Single(d => d.DcId == 0).Endpoints.FirstOrDefault(e => e.Endpoint == endpoint);

    // Polls the host's status (another process; nothing to wait on); bounded.
    private static void WaitForStatus(TestCluster cluster, int node, Func<NodeStatus, bool> condition, string failure)
    {
        var clock = Stopwatch.StartNew();
        NodeStatus? last = null;
        while (clock.Elapsed < TimeSpan.FromSeconds(30))
        {
            using (ControlClient control = cluster.Control(node))
            {
                last = control.Status().Status;
            }
            if (last is not null && condition(last))
            {
                return;
            }
            Thread.Sleep(50);
        }
        Assert.Fail($"{failure} within 30 s; last status: {(last is null ? "none" : JsonSerializer.Serialize(last, ControlJsonContext.Default.NodeStatus))}");
    }
}
