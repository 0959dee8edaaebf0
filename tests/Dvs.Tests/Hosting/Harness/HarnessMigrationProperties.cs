using CsCheck;
using Dvs.Services;

namespace Dvs.Tests.Hosting.Harness;

/// <summary>
/// Issue 12, on the node-host harness: a hosted service (kv) moves from node 1 to node 2 while a
/// client sends it one-way messages, under loss, duplication, reordering and small rings. Whatever
/// the schedule and the ending (commit, operator rollback, the target dying during migr_start,
/// before migr_commit or as COMMIT goes out), every message arrives exactly once and in the order
/// sent, at the node that serves at the end: the target after a commit, the source after a
/// rollback, which serves at epoch + 2.
/// </summary>
/// <remarks>
/// The sender is on the source or on the target, never on a third node: a third node's one-way
/// sender across a commit is the fence's case (issue 12), tested where the fence is.
/// </remarks>
[TestFixture]
[NonParallelizable]
public class HarnessMigrationProperties
{
    private const int Server = 10;
    private const int Client = 11;
    private const int Source = 1;
    private const int Target = 2;

    [Test]
    public void OneWayMessagesArriveOnceAndInOrderAcrossACommitOrARollback()
    {
        Gen.Select(Gen.Int, Gen.Int[0, 30], Gen.Int[0, 30], Gen.Bool, Gen.Int[0, 1])
            .Sample((seed, before, after, onTarget, scenario) =>
                OneWayAcrossMigration(seed, before, after, onTarget ? Target : Source, (MigrationScenario)scenario), iter: 6, threads: 1);
    }

    [Test]
    public void OneWayMessagesArriveOnceAndInOrderWhenTheTargetDiesInAnyPhase()
    {
        Gen.Select(Gen.Int, Gen.Int[0, 30], Gen.Int[0, 30], Gen.Int[2, 4])
            .Sample((seed, before, after, scenario) =>
                OneWayAcrossMigration(seed, before, after, Source, (MigrationScenario)scenario), iter: 8, threads: 1);
    }

    [Test]
    public void OneWayMessagesFromAThirdNodeArriveOnceAndInOrderAcrossACommit()
    {
        Gen.Select(Gen.Int, Gen.Int[0, 30], Gen.Int[0, 30])
            .Sample((seed, before, after) => OneWayAcrossMigration(seed, before, after, 0, MigrationScenario.Commit), iter: 8, threads: 1);
    }

    internal static void OneWayAcrossMigration(int seed, int before, int after, int senderNode, MigrationScenario scenario)
    {
        string label = $"seed {seed}, {before}/{after}, sender on node {senderNode}, {scenario}";
        var random = new Random(seed);
        // Rings of 16: a service sets aside up to 4 rings of one-way messages (then its senders
        // wait, by design), so the 60 messages at most all fit; the proxies still overflow.
        using var h = new NodeHarness(seed, nodes: 3, drop: 0.05, duplicate: 0.05, reorder: 0.1, ringCapacity: 16);
        h[Source].Host.HostService(NodeHarness.Dc, Server, KeyValueService.KindName);
        using Endpoint sender = h[senderNode].Node.Bind(NodeHarness.Dc, Client);
        h.RunUntil(() => h.Nodes.All(n => n.Id == Source || n.Node.GetEndpointInfo(NodeHarness.Dc, Server)?.State == "remote"),
            "the service's bind announced");
        int count = before + after;
        var client = new OneWayClient(sender, Server, count, random, kvKey: Client);
        h.RunUntil(() => client.Sent >= before, "the messages before the migration", () => client.MaybeSend());

        NodeHost source = h[Source].Host;
        Task<DvsError> start = Task.Run(() => source.MigrateStart(NodeHarness.Dc, Server, Target));
        bool committed = false;
        switch (scenario)
        {
            case MigrationScenario.TargetDiesDuringStart:
                h.Run(random.Next(0, 400), () => client.MaybeSend());
                h.Kill(Target);
                if (h.Await(start, "migr_start", () => client.MaybeSend()) == DvsError.Ok)
                {
                    Assert.That(h.Await(Task.Run(() => source.MigrateCommit(NodeHarness.Dc, Server)), "migr_commit", () => client.MaybeSend()),
                        Is.Not.EqualTo(DvsError.Ok), $"no commit to a dead target ({label})");
                }
                break;
            case MigrationScenario.TargetDiesBeforeCommit:
                Assert.That(h.Await(start, "migr_start", () => client.MaybeSend()), Is.EqualTo(DvsError.Ok), label);
                h.Run(random.Next(0, 100), () => client.MaybeSend());
                h.Kill(Target);
                Assert.That(h.Await(Task.Run(() => source.MigrateCommit(NodeHarness.Dc, Server)), "migr_commit", () => client.MaybeSend()),
                    Is.Not.EqualTo(DvsError.Ok), $"no commit to a dead target ({label})");
                break;
            case MigrationScenario.TargetDiesDuringCommit:
                Assert.That(h.Await(start, "migr_start", () => client.MaybeSend()), Is.EqualTo(DvsError.Ok), label);
                // From now on nothing the target says arrives; it still takes what comes for a few steps.
                h.Network.Silenced.Add(Target);
                Task<DvsError> commit = Task.Run(() => source.MigrateCommit(NodeHarness.Dc, Server));
                h.Run(random.Next(0, 200), () => client.MaybeSend());
                h.Kill(Target);
                Assert.That(h.Await(commit, "migr_commit", () => client.MaybeSend()), Is.Not.EqualTo(DvsError.Ok),
                    $"no commit without COMMITTED ({label})");
                break;
            case MigrationScenario.OperatorRollback:
                Assert.That(h.Await(start, "migr_start", () => client.MaybeSend()), Is.EqualTo(DvsError.Ok), label);
                h.Run(random.Next(0, 100), () => client.MaybeSend());
                Assert.That(h.Await(Task.Run(() => source.MigrateRollback(NodeHarness.Dc, Server)), "migr_rollback", () => client.MaybeSend()),
                    Is.EqualTo(DvsError.Ok), label);
                break;
            case MigrationScenario.Commit:
                Assert.That(h.Await(start, "migr_start", () => client.MaybeSend()), Is.EqualTo(DvsError.Ok), label);
                h.Run(random.Next(0, 100), () => client.MaybeSend());
                Assert.That(h.Await(Task.Run(() => source.MigrateCommit(NodeHarness.Dc, Server)), "migr_commit", () => client.MaybeSend()),
                    Is.EqualTo(DvsError.Ok), label);
                committed = true;
                break;
        }
        int serving = committed ? Target : Source;
        h.RunUntil(() => client.AllSent, "every message sent", () => client.MaybeSend(oneIn: 1));
        ServiceHost service = h[serving].Host.FindService(NodeHarness.Dc, Server)
            ?? throw new AssertionException($"no service on node {serving} ({label})");
        (long Last, long OutOfOrder) executed = (0, 0);
        long nextLook = 0;
        h.RunUntil(() =>
        {
            if (h.Steps < nextLook)
            {
                return false;
            }
            nextLook = h.Steps + 500;
            executed = ServiceInbox.Of(service, Client);
            return executed.Last >= count;
        }, $"every message at node {serving} ({label}; up to {executed.Last} of {count} there)");
        h.Run(2000);
        executed = ServiceInbox.Of(service, Client);
        Assert.That(executed, Is.EqualTo(((long)count, 0L)), $"once each, in order, at node {serving} ({label})");
        EndpointInfo info = h[serving].Node.GetEndpointInfo(NodeHarness.Dc, Server)!;
        // A migr_start that failed before the service paused left the epoch alone; any later rollback serves at epoch + 2.
        uint[] epochs = committed ? [1u] : scenario == MigrationScenario.TargetDiesDuringStart ? [0u, 2u] : [2u];
        Assert.That(info.State, Is.EqualTo("local"), $"served ({label})");
        Assert.That(epochs, Does.Contain(info.Epoch), $"serving at the right epoch ({label})");
        if (!committed && h[Target].Alive)
        {
            Assert.That(h[Target].Host.FindService(NodeHarness.Dc, Server), Is.Null, $"nothing served at the target ({label})");
        }
    }
}
