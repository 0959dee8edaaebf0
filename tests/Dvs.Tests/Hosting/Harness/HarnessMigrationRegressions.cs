using Dvs.Services;

namespace Dvs.Tests.Hosting.Harness;

/// <summary>Cases the harness's migration properties found, shrunk and kept by name.</summary>
[TestFixture]
[NonParallelizable]
public class HarnessMigrationRegressions
{
    /// <summary>
    /// The target went down while migr_start paused the service, before the migration was listed:
    /// the peer-down event found no migration to fail, and OFFER, refused by the down session,
    /// was retried forever; migr_start waited its whole timeout (here, for ever on virtual time).
    /// </summary>
    [Test]
    public void AMigrationStartedAsItsTargetGoesDownFailsInsteadOfWaitingForItsTimeout()
    {
        HarnessMigrationProperties.OneWayAcrossMigration(-14555271, 17, 11, 1, MigrationScenario.TargetDiesDuringStart);
    }

    /// <summary>
    /// A target that just restarted is up in the source's node table a round trip before the
    /// source's session hears it (its first frames count only once it knows the source's
    /// incarnation). A migration started in that window met PeerDown at OFFER and failed at once
    /// with NotConnected (found by CI in ServerMigrationTests, by chance); it now waits for the session.
    /// </summary>
    [Test]
    public void AMigrationToATargetThatJustRestartedWaitsForItsSessionInsteadOfFailing()
    {
        const int Server = 10;
        using var h = new NodeHarness(seed: 5, nodes: 2);
        h[0].Host.HostService(NodeHarness.Dc, Server, KeyValueService.KindName);
        h.Kill(1);
        h.RunUntil(() => h[0].Node.GetPeerState(1) == "down", "node 0 declares node 1 down");
        HarnessNode target = h.Restart(1);

        // Only node 1's hello and node 0's reception of it: node 0 has node 1 up, its session not yet.
        target.Proxy.SenderPass();
        for (int i = 0; i < 1000 && h[0].Node.GetPeerState(1) != "up"; i++)
        {
            h.Network.Now += NodeHarness.Ms / 10;
            h[0].Proxy.ReceiverPass();
        }
        Assert.That(h[0].Node.GetPeerState(1), Is.EqualTo("up"), "node 0 saw node 1's new incarnation");
        // Node 0's sender applies the peer events still pending (node 1 went down, then restarted)
        // before the migration exists: they fail the migrations listed by then.
        h[0].Proxy.SenderPass();
        h[0].Proxy.SenderPass();

        // The migration is listed and node 0's sender tries its OFFER, with nobody else stepped.
        Task<DvsError> start = Task.Run(() => h[0].Host.MigrateStart(NodeHarness.Dc, Server, 1));
        var listed = System.Diagnostics.Stopwatch.StartNew();
        while (h[0].Proxy.MigrationTarget(NodeHarness.Dc, Server) != 1 && !start.IsCompleted)
        {
            Assert.That(listed.Elapsed, Is.LessThan(TimeSpan.FromSeconds(30)), "the migration is listed");
            h[0].Proxy.SenderPass();
        }
        for (int i = 0; i < 5; i++)
        {
            h[0].Proxy.SenderPass();
        }

        Assert.That(h.Await(start, "migr_start"), Is.EqualTo(DvsError.Ok), "the migration waits for the session, then prepares node 1");
        Assert.That(h.Await(Task.Run(() => h[0].Host.MigrateCommit(NodeHarness.Dc, Server)), "migr_commit"), Is.EqualTo(DvsError.Ok));
        h.RunUntil(() => h[1].Node.GetEndpointInfo(NodeHarness.Dc, Server)?.State == "local", "node 1 serves the endpoint");
    }

    /// <summary>
    /// The node table had the restarted target up and the migration was listed before the source's
    /// sender applied the target's earlier "went down" (declared at the end of its last pass): that
    /// stale event, of the previous incarnation, rolled the new migration back with NotConnected.
    /// A peer event now fails only migrations to the incarnation it is about.
    /// </summary>
    [Test]
    public void AStaleDownEventOfTheTargetsPreviousIncarnationSparesAMigrationToItsNewOne()
    {
        const int Server = 10;
        using var h = new NodeHarness(seed: 7, nodes: 2);
        h[0].Host.HostService(NodeHarness.Dc, Server, KeyValueService.KindName);
        h.Kill(1);
        // Only node 0's sender (its timers declare the peer down), a millisecond at a time, and
        // not one pass more once it has: the down event waits for its next pass.
        for (int i = 0; i < 10_000 && h[0].Node.GetPeerState(1) != "down"; i++)
        {
            h.Network.Now += NodeHarness.Ms;
            h[0].Proxy.SenderPass();
        }
        Assert.That(h[0].Node.GetPeerState(1), Is.EqualTo("down"));
        HarnessNode target = h.Restart(1);
        for (int i = 0; i < 1000 && h[0].Node.GetPeerState(1) != "up"; i++)
        {
            h.Network.Now += NodeHarness.Ms / 10;
            target.Proxy.SenderPass();
            h[0].Proxy.ReceiverPass();
        }
        Assert.That(h[0].Node.GetPeerState(1), Is.EqualTo("up"), "node 0 heard node 1's new incarnation");

        Task<DvsError> start = Task.Run(() => h[0].Host.MigrateStart(NodeHarness.Dc, Server, 1));
        var listed = System.Diagnostics.Stopwatch.StartNew();
        while (h[0].Proxy.MigrationTarget(NodeHarness.Dc, Server) != 1 && !start.IsCompleted)
        {
            Assert.That(listed.Elapsed, Is.LessThan(TimeSpan.FromSeconds(30)), "the migration is listed");
            Thread.Yield();
        }
        Assert.That(start.IsCompleted, Is.False, "listed, waiting for its target");

        Assert.That(h.Await(start, "migr_start"), Is.EqualTo(DvsError.Ok), "the stale down event spared it; node 1 prepared");
        Assert.That(h.Await(Task.Run(() => h[0].Host.MigrateCommit(NodeHarness.Dc, Server)), "migr_commit"), Is.EqualTo(DvsError.Ok));
        h.RunUntil(() => h[1].Node.GetEndpointInfo(NodeHarness.Dc, Server)?.State == "local", "node 1 serves the endpoint");
    }
}
