using CsCheck;
using Dvs.Services;

namespace Dvs.Tests.Hosting.Harness;

/// <summary>
/// Issue 12, on the node-host harness: the service moves to a node that just restarted, while kv
/// clients on the source and on a third node keep calling. The third node may not have heard the
/// restarted target yet when the target starts serving (it declared the old incarnation down; the
/// new one's first frames reset its session), so the replies of its forwarded requests meet a
/// session that is coming up. Every increment executes exactly once and no reply is lost: a lost
/// reply shows as a call that timed out (CI once saw one in ServerMigrationTests, with real
/// processes, after a migration to a restarted node).
/// </summary>
[TestFixture]
[NonParallelizable]
public class HarnessRestartedTargetProperties
{
    private const int Server = 10;
    private const int Source = 0;
    private const int Target = 1;
    private const int Third = 2;

    [Test]
    public void EveryIncrementExecutesOnceAndNoReplyIsLostWhenTheTargetJustRestarted()
    {
        Gen.Select(Gen.Int, Gen.Int[1, 10], Gen.Int[0, 400], Gen.Bool)
            .Sample((seed, calls, lead, killedMidMigration) => IncrementsAcrossMigrationToRestartedTarget(seed, calls, lead, killedMidMigration),
                iter: 10, threads: 1);
    }

    /// <param name="killedMidMigration">As in ServerMigrationTests: the target dies with a migration to it
    /// started (the source rolls back by itself, to epoch 2) before it restarts.</param>
    internal static void IncrementsAcrossMigrationToRestartedTarget(int seed, int calls, int lead, bool killedMidMigration)
    {
        string label = $"seed {seed}, {calls} calls each, migration {lead} steps after the restart{(killedMidMigration ? ", killed mid-migration" : "")}";
        var random = new Random(seed);
        using var h = new NodeHarness(seed, nodes: 3, drop: 0.05, duplicate: 0.05, reorder: 0.1, ringCapacity: 16);
        h[Source].Host.HostService(NodeHarness.Dc, Server, KeyValueService.KindName);
        h.RunUntil(() => h.Nodes.All(n => n.Id == Source || n.Node.GetEndpointInfo(NodeHarness.Dc, Server)?.State == "remote"),
            "the service's bind announced");
        using Endpoint third = h[Third].Node.Bind(NodeHarness.Dc, 20);
        using Endpoint local = h[Source].Node.Bind(NodeHarness.Dc, 21);
        var clients = new[]
        {
            new CountingClient(third, Server, 1, calls, random, TimeSpan.FromSeconds(10)),
            new CountingClient(local, Server, 2, calls, random, TimeSpan.FromSeconds(10)),
        };
        void Poll()
        {
            foreach (CountingClient client in clients)
            {
                client.Poll();
            }
        }
        h.Run(random.Next(0, 200), Poll);
        NodeHost source = h[Source].Host;
        if (killedMidMigration)
        {
            Assert.That(h.Await(Task.Run(() => source.MigrateStart(NodeHarness.Dc, Server, Target)), "the first migr_start", Poll),
                Is.EqualTo(DvsError.Ok), label);
            h.Run(random.Next(0, 100), Poll);
        }
        h.Kill(Target);
        h.RunUntil(() => h[Source].Node.GetPeerState(Target) == "down" && h[Third].Node.GetPeerState(Target) == "down",
            "the others declare the target down", Poll);
        if (killedMidMigration)
        {
            Assert.That(h.Await(Task.Run(() => source.MigrateCommit(NodeHarness.Dc, Server)), "the first migr_commit", Poll),
                Is.EqualTo(DvsError.NotConnected), $"{label}: rolled back when the target went down");
        }
        h.Restart(Target);
        h.Run(lead, Poll);
        // Before the source has heard the new incarnation, the target is down for it: migr_start says
        // NotConnected (nothing paused, nothing lost) and the operator tries again.
        DvsError started;
        int attempts = 0;
        while ((started = h.Await(Task.Run(() => source.MigrateStart(NodeHarness.Dc, Server, Target)), "migr_start", Poll)) == DvsError.NotConnected &&
            ++attempts < 100)
        {
            h.Run(50, Poll);
        }
        Assert.That(started, Is.EqualTo(DvsError.Ok), $"{label}, after {attempts} refused starts");
        Assert.That(h.Await(Task.Run(() => source.MigrateCommit(NodeHarness.Dc, Server)), "migr_commit", Poll),
            Is.EqualTo(DvsError.Ok), label);
        h.RunUntil(() => clients.All(c => c.Done), $"every call acknowledged ({label})", Poll);
        var service = (KeyValueService)(h[Target].Host.FindService(NodeHarness.Dc, Server)
            ?? throw new AssertionException($"no service on node {Target} ({label})")).Service;
        foreach (CountingClient client in clients)
        {
            Assert.That(service[client.Key], Is.EqualTo(client.Acknowledged), $"key {client.Key}: the final value is the acknowledged calls ({label})");
            Assert.That(client.Failures.GetValueOrDefault(DvsError.TimedOut), Is.Zero,
                $"key {client.Key}: no call timed out, i.e. no reply was lost ({label}); failures: " +
                string.Join(", ", client.Failures.Select(f => $"{f.Key} x{f.Value}")));
        }
        TestContext.Out.WriteLine($"{label}: failures retried {string.Join(", ", clients.SelectMany(c => c.Failures).Select(f => $"{f.Key} x{f.Value}"))}");
    }
}
