using CsCheck;
using Dvs.Services;

namespace Dvs.Tests.Hosting.Harness;

/// <summary>
/// Issue 12, on the node-host harness: kv clients on the source and on a third node increment
/// their keys while the service moves from node 1 to node 2, under loss, duplication and
/// reordering; each retries a failed call with the same request. Whatever the ending (commit,
/// operator rollback, the target dying during migr_start, before migr_commit or as COMMIT goes
/// out), every increment executes exactly once: each reply counts the increments acknowledged
/// before it, no reply is lost, and the final value is the number of acknowledged calls.
/// </summary>
[TestFixture]
[NonParallelizable]
public class HarnessSendRecProperties
{
    private const int Server = 10;
    private const int Source = 1;
    private const int Target = 2;

    [Test]
    public void EveryIncrementExecutesOnceAcrossAMigrationWhateverItsEnding()
    {
        Gen.Select(Gen.Int, Gen.Int[1, 12], Gen.Int[0, 4])
            .Sample((seed, calls, scenario) => IncrementsAcrossMigration(seed, calls, (MigrationScenario)scenario), iter: 10, threads: 1);
    }

    internal static void IncrementsAcrossMigration(int seed, int calls, MigrationScenario scenario)
    {
        string label = $"seed {seed}, {calls} calls each, {scenario}";
        var random = new Random(seed);
        using var h = new NodeHarness(seed, nodes: 3, drop: 0.05, duplicate: 0.05, reorder: 0.1, ringCapacity: 16);
        h[Source].Host.HostService(NodeHarness.Dc, Server, KeyValueService.KindName);
        h.RunUntil(() => h.Nodes.All(n => n.Id == Source || n.Node.GetEndpointInfo(NodeHarness.Dc, Server)?.State == "remote"),
            "the service's bind announced");
        using Endpoint third = h[0].Node.Bind(NodeHarness.Dc, 20);
        using Endpoint local = h[Source].Node.Bind(NodeHarness.Dc, 21);
        var clients = new[] { new CountingClient(third, Server, 1, calls, random), new CountingClient(local, Server, 2, calls, random) };
        void Poll()
        {
            foreach (CountingClient client in clients)
            {
                client.Poll();
            }
        }
        // Some calls before, the rest during and after the migration.
        h.Run(random.Next(0, 300), Poll);
        long startedAt = h.Steps;
        var wall = System.Diagnostics.Stopwatch.StartNew();
        NodeHost source = h[Source].Host;
        Task<DvsError> start = Task.Run(() => source.MigrateStart(NodeHarness.Dc, Server, Target));
        bool committed = false;
        switch (scenario)
        {
            case MigrationScenario.TargetDiesDuringStart:
                h.Run(random.Next(0, 400), Poll);
                h.Kill(Target);
                if (h.Await(start, "migr_start", Poll) == DvsError.Ok)
                {
                    Assert.That(h.Await(Task.Run(() => source.MigrateCommit(NodeHarness.Dc, Server)), "migr_commit", Poll),
                        Is.Not.EqualTo(DvsError.Ok), label);
                }
                break;
            case MigrationScenario.TargetDiesBeforeCommit:
                Assert.That(h.Await(start, "migr_start", Poll), Is.EqualTo(DvsError.Ok), label);
                h.Run(random.Next(0, 100), Poll);
                h.Kill(Target);
                Assert.That(h.Await(Task.Run(() => source.MigrateCommit(NodeHarness.Dc, Server)), "migr_commit", Poll),
                    Is.Not.EqualTo(DvsError.Ok), label);
                break;
            case MigrationScenario.TargetDiesDuringCommit:
                Assert.That(h.Await(start, "migr_start", Poll), Is.EqualTo(DvsError.Ok), label);
                h.Network.Silenced.Add(Target);
                Task<DvsError> commit = Task.Run(() => source.MigrateCommit(NodeHarness.Dc, Server));
                h.Run(random.Next(0, 200), Poll);
                h.Kill(Target);
                Assert.That(h.Await(commit, "migr_commit", Poll), Is.Not.EqualTo(DvsError.Ok), label);
                break;
            case MigrationScenario.OperatorRollback:
                Assert.That(h.Await(start, "migr_start", Poll), Is.EqualTo(DvsError.Ok), label);
                h.Run(random.Next(0, 100), Poll);
                Assert.That(h.Await(Task.Run(() => source.MigrateRollback(NodeHarness.Dc, Server)), "migr_rollback", Poll),
                    Is.EqualTo(DvsError.Ok), label);
                break;
            case MigrationScenario.Commit:
                Assert.That(h.Await(start, "migr_start", Poll), Is.EqualTo(DvsError.Ok), label);
                h.Run(random.Next(0, 100), Poll);
                Assert.That(h.Await(Task.Run(() => source.MigrateCommit(NodeHarness.Dc, Server)), "migr_commit", Poll),
                    Is.EqualTo(DvsError.Ok), label);
                committed = true;
                break;
        }
        long migrated = h.Steps - startedAt;
        TimeSpan migratedIn = wall.Elapsed;
        string ackedBy = string.Join("/", clients.Select(c => c.Acknowledged));
        h.RunUntil(() => clients.All(c => c.Done), $"every call acknowledged ({label})", Poll);
        int serving = committed ? Target : Source;
        var service = (KeyValueService)(h[serving].Host.FindService(NodeHarness.Dc, Server)
            ?? throw new AssertionException($"no service on node {serving} ({label})")).Service;
        foreach (CountingClient client in clients)
        {
            Assert.That(service[client.Key], Is.EqualTo(client.Acknowledged), $"key {client.Key}: the final value is the acknowledged calls ({label})");
        }
        TestContext.Out.WriteLine($"{label}: migration {migrated} steps, {migratedIn.TotalMilliseconds:F0} ms; acknowledged by then " +
            $"{ackedBy}; failures retried {string.Join(", ", clients.SelectMany(c => c.Failures).Select(f => $"{f.Key} x{f.Value}"))}");
    }
}
