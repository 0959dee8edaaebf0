using System.Text.RegularExpressions;
using Dvs.FaultRelay;
using Dvs.Hosting;
using Dvs.Services;
using Dvs.Tests.Cluster;
using static Dvs.Tests.Migration.MigrationChecks;

namespace Dvs.Tests.Migration;

/// <summary>
/// The chaos cases of issue 12: a node host killed (SIGKILL) during a migration or while it owns
/// the service, with real node host processes and clients in their own processes. The rule they
/// check (docs/protocol.md, "Migration protocol (as modelled)"): until the target confirmed, any
/// failure ends with the source serving again by itself at a newer epoch (e + 2); no node serves
/// below an epoch the cluster has seen; a service whose only copy is gone comes back at a newer
/// epoch and tells its clients so. S = node0 (the source), T = node1 (the target), e = 0.
/// </summary>
[TestFixture]
[NonParallelizable]
[Category("Cluster")]
public class MigrationChaosTests
{
    private const int Step = 20;

    // Short, so the cases that wait for a peer to be declared down stay fast.
    private const int PeerDownMs = 1000;

    private static readonly DvsTimeout CallTimeout = DvsTimeout.FromMilliseconds(30_000);

    // How long the nodes may take to agree after a failure (a busy 2-core machine included).
    private static readonly TimeSpan SettleBound = TimeSpan.FromSeconds(30);

    [Test]
    public void ACommitToAJustKilledTargetRollsBackAndTheSourceServesAtANewerEpoch() =>
        CommitToAJustKilledTarget(faults: null, PeerDownMs);

    [Test]
    public void ACommitToAJustKilledTargetRollsBackThroughLossyDuplicatingReorderingLinks()
    {
        var faults = new FaultOptions(Drop: 0.05, Duplicate: 0.05, Reorder: 0.10, Seed: 1212);
        TestContext.Out.WriteLine($"relay seed {faults.Seed}");
        // Lost heartbeats must not make a live peer look dead: a little more than the plain case.
        CommitToAJustKilledTarget(faults, 2 * PeerDownMs);
    }

    [Test]
    public void ACommitAfterTheTargetRestartedFailsAndEveryNodeAgreesTheSourceServesAtANewerEpoch()
    {
        // Long: node0 must learn of node1's death from its new incarnation, not from its silence.
        using TestCluster cluster = StartCluster(peerDownMs: 30_000);
        var clients = new List<KvClients>();
        try
        {
            clients.Add(KvClients.Start(cluster.NodeName(0), 0, 100, 2, Server, Step));
            clients.Add(KvClients.Start(cluster.NodeName(2), 0, 120, 2, Server, Step));
            AllProgress(clients);
            using ControlClient source = cluster.Control(0);
            ControlResponse started = source.MigrateStart(0, Server, 1);
            Assert.That((started.Ok, started.Phase), Is.EqualTo((true, "started")), started.Message);

            cluster.Host(1).Kill();
            cluster.Restart(1);   // a new incarnation that holds no copy of the migration
            ControlResponse commit = source.MigrateCommit(0, Server);
            TestContext.Progress.WriteLine($"commit: {commit.Error} phase {commit.Phase}: {commit.Message}");
            // ProcSts when node0 rolled back on seeing the new incarnation, else the target's NOCOPY.
            Assert.That(commit.Ok, Is.False, $"a commit into a restarted target: {commit.Error} {commit.Phase} {commit.Message}");

            ExpectServedByNode0AtEpoch2(cluster, source);
            AllProgress(clients);
            var counts = clients.SelectMany(c => c.Stop()).ToDictionary(p => p.Key, p => p.Value);
            ExpectExecuted(cluster, 0, counts.Values.Sum(), counts);
        }
        finally
        {
            clients.ForEach(c => c.Dispose());
        }
    }

    [Test]
    public void WhenTheTargetOfAStartedMigrationDiesTheSourceRollsBackByItself()
    {
        using TestCluster cluster = StartCluster(peerDownMs: PeerDownMs);
        var clients = new List<KvClients>();
        try
        {
            clients.Add(KvClients.Start(cluster.NodeName(0), 0, 100, 2, Server, Step));
            clients.Add(KvClients.Start(cluster.NodeName(2), 0, 120, 2, Server, Step));
            AllProgress(clients);
            using ControlClient source = cluster.Control(0);
            ControlResponse started = source.MigrateStart(0, Server, 1);
            Assert.That((started.Ok, started.Phase), Is.EqualTo((true, "started")), started.Message);

            cluster.Host(1).Kill();
            // No control command: node0 suspects node1 after its peer-down time and serves again.
            TimeSpan bound = TimeSpan.FromMilliseconds(PeerDownMs) + TimeSpan.FromSeconds(15);
            EndpointStatus? served = WaitForEndpoint(source, e => e.State == "local", bound);
            Assert.That(Where(served), Is.EqualTo(("local", 0, 2u, "kv")),
                $"node0 serves the endpoint again, at e + 2, within {bound.TotalSeconds} s of node1's death");
            AllProgress(clients);

            ControlResponse commit = source.MigrateCommit(0, Server);
            Assert.That(commit.Ok, Is.False, $"a commit of a migration rolled back: {commit.Error} {commit.Phase} {commit.Message}");
            var counts = clients.SelectMany(c => c.Stop()).ToDictionary(p => p.Key, p => p.Value);
            ExpectExecuted(cluster, 0, counts.Values.Sum(), counts);
        }
        finally
        {
            clients.ForEach(c => c.Dispose());
        }
    }

    [Test]
    public void AnOwnerThatLostTheOnlyCopyOfTheStateServesAtANewerEpochAndTellsItsClients()
    {
        using TestCluster cluster = StartCluster(peerDownMs: PeerDownMs);
        var clients = new List<KvClients>();
        try
        {
            // Not on node0: its processes die with its host.
            clients.Add(KvClients.Start(cluster.NodeName(1), 0, 110, 2, Server, Step));
            clients.Add(KvClients.Start(cluster.NodeName(2), 0, 120, 2, Server, Step));
            AllProgress(clients);
            int at = 0;
            uint epoch = 0;
            foreach (int to in new[] { 1, 2, 0 })
            {
                using ControlClient control = cluster.Control(at);
                ControlResponse r = control.Migrate(0, Server, to);
                Assert.That((r.Ok, r.Epoch), Is.EqualTo((true, (uint?)++epoch)), r.Message);
                at = to;
                AllProgress(clients);
            }
            var counts = new Dictionary<int, long>();
            foreach (KvClients c in clients)
            {
                foreach ((int ep, long n) in c.Stop())
                {
                    counts[ep] = n;
                }
            }
            // The state the kill takes with it: every client's key holds its count.
            ExpectExecuted(cluster, 0, counts.Values.Sum(), counts);

            cluster.Host(0).Kill();
            NodeProcess restarted = cluster.Restart(0);
            using ControlClient owner = cluster.Control(0);
            EndpointStatus? served = WaitForEndpoint(owner, e => e.State == "local" && e.Epoch > epoch, SettleBound);
            (string state, int by, uint recreated, string? kind) = Where(served);
            TestContext.Progress.WriteLine($"restarted node0: {Where(served)}");
            Assert.That((state, by, kind), Is.EqualTo(("local", 0, "kv")), "the restarted node0 serves the endpoint again");
            Assert.That(recreated, Is.GreaterThanOrEqualTo(epoch + 1), $"above epoch {epoch}, which the other nodes have seen");

            string? said = null;
            SpinWait.SpinUntil(() => (said = StateLostLine(restarted.Stderr)) is not null, SettleBound);
            Assert.That(said, Is.Not.Null, $"node0's log says the state of endpoint {Server} was lost; it says:{Environment.NewLine}{restarted.Stderr}");

            using (ControlClient one = cluster.Control(1))
            using (ControlClient two = cluster.Control(2))
            {
                ExpectSeenAt(one, "node1", 0, recreated);
                ExpectSeenAt(two, "node2", 0, recreated);
            }

            // A client the re-created service does not know: told once that the state was lost, then
            // served from the empty state (its key, 120's count before, reads 0).
            using Node node = cluster.Attach(2);
            using Endpoint fresh = node.Bind(0, 98);
            var first = new Message(KeyValueService.Get) { [0] = 120 };
            Assert.That(fresh.SendRec(Server, ref first, CallTimeout), Is.EqualTo(DvsError.StateLost),
                "the first call to the re-created service");
            var next = new Message(KeyValueService.Get) { [0] = 120 };
            Assert.That(fresh.SendRec(Server, ref next, CallTimeout), Is.EqualTo(DvsError.Ok), "the next call");
            Assert.That(next[0], Is.EqualTo(0), "the re-created service starts empty");
        }
        finally
        {
            clients.ForEach(c => c.Dispose());
        }
    }

    [Test]
    public void ATargetKilledAfterTheCommitBringsTheServiceBackEmptyAndSaysSo()
    {
        // node1's ini declares no service: it got it by the migration, and must bring it back
        // after its restart (empty, newer, telling its clients), not leave it served by nobody.
        using TestCluster cluster = StartCluster(peerDownMs: PeerDownMs);
        using (ControlClient source = cluster.Control(0))
        {
            ControlResponse moved = source.Migrate(0, Server, 1);
            Assert.That((moved.Ok, moved.Epoch), Is.EqualTo((true, (uint?)1)), moved.Message);
        }
        cluster.Host(1).Kill();
        ExpectRecreatedEmptyOnNode1(cluster, cluster.Restart(1));
    }

    [Test]
    public void ATargetKilledBetweenItsConfirmationAndTheHandoverComesBackNewerAndSaysTheStateWasLost() =>
        TargetKilledAtHandover(faults: null, PeerDownMs);

    [Test]
    public void ATargetKilledAtTheHandoverComesBackNewerThroughLossyDuplicatingReorderingLinks()
    {
        var faults = new FaultOptions(Drop: 0.05, Duplicate: 0.05, Reorder: 0.10, Seed: 3131);
        TestContext.Out.WriteLine($"relay seed {faults.Seed}");
        TargetKilledAtHandover(faults, 2 * PeerDownMs);
    }

    [Test]
    public void ASourceKilledWhenItsTargetConfirmedHandsTheConfirmedCopyOverWhenItRestarts() =>
        SourceKilledAtCommitted(faults: null, PeerDownMs);

    [Test]
    public void ASourceKilledWhenItsTargetConfirmedHandsTheCopyOverThroughLossyDuplicatingReorderingLinks()
    {
        var faults = new FaultOptions(Drop: 0.05, Duplicate: 0.05, Reorder: 0.10, Seed: 3232);
        TestContext.Out.WriteLine($"relay seed {faults.Seed}");
        SourceKilledAtCommitted(faults, 2 * PeerDownMs);
    }

    /// <summary>
    /// node1 confirms (COMMITTED: the commit point), node0 hands over and drops its copy, and node1
    /// dies as HANDOVER arrives (its crash point): the only copy is gone with it.
    /// </summary>
    private static void TargetKilledAtHandover(FaultOptions? faults, int peerDownMs)
    {
        using TestCluster cluster = StartCluster(faults, peerDownMs, crashPoints: [(1, FaultPoint.TargetHandover)]);
        using (ControlClient source = cluster.Control(0))
        {
            ControlResponse moved = source.Migrate(0, Server, 1);
            Assert.That((moved.Ok, moved.Epoch), Is.EqualTo((true, (uint?)1)), moved.Message);
        }
        Assert.That(cluster.Host(1).WaitForExit(SettleBound), Is.True, "node1 died at HANDOVER");
        ExpectRecreatedEmptyOnNode1(cluster, cluster.Restart(1));
    }

    /// <summary>node1 confirms; node0 dies as the confirmation arrives (its crash point), before it hands over.</summary>
    private static void SourceKilledAtCommitted(FaultOptions? faults, int peerDownMs)
    {
        using TestCluster cluster = StartCluster(faults, peerDownMs, crashPoints: [(0, FaultPoint.SourceCommitted)]);
        ExpectTheCopyHandedOverWhenTheSourceRestarts(cluster, source =>
        {
            Assert.That(() => source.MigrateCommit(0, Server), Throws.TypeOf<DvsException>(), "node0 dies during the commit");
            Assert.That(cluster.Host(0).WaitForExit(SettleBound), Is.True, "node0 died at COMMITTED");
        });
    }

    /// <summary>node1 lost the only copy: restarted, it serves the endpoint again, one epoch newer
    /// than any seen, empty, says so in its log and to each client's first call.</summary>
    private static void ExpectRecreatedEmptyOnNode1(TestCluster cluster, NodeProcess restarted)
    {
        using ControlClient owner = cluster.Control(1);
        EndpointStatus? served = WaitForEndpoint(owner, e => e.State == "local", SettleBound);
        (string state, int by, uint recreated, string? kind) = Where(served);
        Assert.That((state, by, kind), Is.EqualTo(("local", 1, "kv")), "the restarted node1 serves the endpoint again");
        Assert.That(recreated, Is.GreaterThanOrEqualTo(2u), "above epoch 1, which the other nodes have seen");
        string? said = null;
        SpinWait.SpinUntil(() => (said = StateLostLine(restarted.Stderr)) is not null, SettleBound);
        Assert.That(said, Is.Not.Null, $"node1's log says the state of endpoint {Server} was lost; it says:{Environment.NewLine}{restarted.Stderr}");
        using (ControlClient zero = cluster.Control(0))
        using (ControlClient two = cluster.Control(2))
        {
            ExpectSeenAt(zero, "node0 (the old owner)", 1, recreated);
            ExpectSeenAt(two, "node2", 1, recreated);
        }
        using Node node = cluster.Attach(2);
        using Endpoint fresh = node.Bind(0, 98);
        var first = new Message(KeyValueService.Get) { [0] = 120 };
        Assert.That(fresh.SendRec(Server, ref first, CallTimeout), Is.EqualTo(DvsError.StateLost), "the first call to the re-created service");
        var next = new Message(KeyValueService.Get) { [0] = 120 };
        Assert.That(fresh.SendRec(Server, ref next, CallTimeout), Is.EqualTo(DvsError.Ok), "the next call");
    }

    [Test]
    public void ASourceKilledWithItsTargetPreparedHandsTheCopyOverWhenItRestarts()
    {
        using TestCluster cluster = StartCluster(peerDownMs: PeerDownMs);
        // The source dies with the service paused and node1 holding a current copy: nothing was
        // executed since the pause, so the copy is the whole state.
        ExpectTheCopyHandedOverWhenTheSourceRestarts(cluster, _ => cluster.Host(0).Kill());
    }

    /// <summary>
    /// Clients on node1 and node2 call the service on node0, migr_start moves it towards node1,
    /// then <paramref name="killSource"/> (given node0's control connection) gets node0 killed; its
    /// restart must hand node1's copy over, not start the service: node1 serves at epoch 1, every
    /// node agrees, and every call the clients made executed exactly once.
    /// </summary>
    private static void ExpectTheCopyHandedOverWhenTheSourceRestarts(TestCluster cluster, Action<ControlClient> killSource)
    {
        var clients = new List<KvClients>();
        try
        {
            // Not on node0: its processes die with its host. A request that reached node0 after the
            // pause dies with it: its caller retries it as the same request once the service is back.
            clients.Add(KvClients.Start(cluster.NodeName(1), 0, 110, 2, Server, Step, retry: true));
            clients.Add(KvClients.Start(cluster.NodeName(2), 0, 120, 2, Server, Step, retry: true));
            AllProgress(clients);
            using (ControlClient source = cluster.Control(0))
            {
                ControlResponse started = source.MigrateStart(0, Server, 1);
                Assert.That((started.Ok, started.Phase), Is.EqualTo((true, "started")), started.Message);
                killSource(source);
            }
            NodeProcess restarted = cluster.Restart(0);
            string? line = restarted.WaitForLine(l => l.StartsWith("service ", StringComparison.Ordinal), NodeProcess.StartTimeout);
            Assert.That(line, Does.Contain("not started").And.Contain("served by node 1 (epoch 1)"), "node0 hands the copy over instead of starting the service");
            using ControlClient target = cluster.Control(1);
            EndpointStatus? served = WaitForEndpoint(target, e => e.State == "local", SettleBound);
            Assert.That(Where(served), Is.EqualTo(("local", 1, 1u, "kv")), "node1 serves from the copy at epoch 1");
            using (ControlClient restartedControl = cluster.Control(0))
            using (ControlClient other = cluster.Control(2))
            {
                ExpectSeenAt(restartedControl, "the restarted node0", 1, 1);
                ExpectSeenAt(other, "node2", 1, 1);
            }
            AllProgress(clients);
            var counts = clients.SelectMany(c => c.Stop()).ToDictionary(p => p.Key, p => p.Value);
            ExpectExecuted(cluster, 1, counts.Values.Sum(), counts);
        }
        finally
        {
            clients.ForEach(c => c.Dispose());
        }
    }

    /// <summary>Case 1 of the issue: migr_start to node1, node1 killed, migr_commit at once (before
    /// node0 declared node1 down).</summary>
    private static void CommitToAJustKilledTarget(FaultOptions? faults, int peerDownMs)
    {
        using TestCluster cluster = StartCluster(faults, peerDownMs);
        var clients = new List<KvClients>();
        try
        {
            // Not on node1: its processes die with its host.
            clients.Add(KvClients.Start(cluster.NodeName(0), 0, 100, 2, Server, Step));
            clients.Add(KvClients.Start(cluster.NodeName(2), 0, 120, 2, Server, Step));
            AllProgress(clients);
            using ControlClient source = cluster.Control(0);
            ControlResponse started = source.MigrateStart(0, Server, 1);
            Assert.That((started.Ok, started.Phase), Is.EqualTo((true, "started")), started.Message);

            cluster.Host(1).Kill();
            ControlResponse commit = source.MigrateCommit(0, Server);
            TestContext.Progress.WriteLine($"commit: {commit.Error} phase {commit.Phase}: {commit.Message}");
            Assert.That((commit.Ok, commit.Phase), Is.EqualTo((false, "commit")), commit.Message);
            Assert.That(commit.DvsError, Is.AnyOf(DvsError.NotConnected, DvsError.TimedOut), commit.Message);

            // No operator step: node0 serves again, held requests first, at e + 2 (above the e + 1
            // that node1 may have bound and announced).
            EndpointStatus? served = WaitForEndpoint(source, e => e.State == "local", SettleBound);
            Assert.That(Where(served), Is.EqualTo(("local", 0, 2u, "kv")), "node0 serves again by itself");
            AllProgress(clients);

            // node1 comes back (a new incarnation) and learns where the service is; then it can
            // move there after all.
            cluster.Restart(1);
            ExpectServedByNode0AtEpoch2(cluster, source);
            Assert.That(SpinWait.SpinUntil(() => PeerState(source, 1) == "up", SettleBound), Is.True,
                $"node0 sees the restarted node1 up within {SettleBound}");
            ControlResponse again = source.Migrate(0, Server, 1);
            Assert.That((again.Ok, again.Epoch), Is.EqualTo((true, (uint?)3)), again.Message);
            AllProgress(clients);
            var counts = clients.SelectMany(c => c.Stop()).ToDictionary(p => p.Key, p => p.Value);
            ExpectExecuted(cluster, 1, counts.Values.Sum(), counts);
        }
        finally
        {
            clients.ForEach(c => c.Dispose());
        }
    }

    /// <summary>Cases 1 and 2 end alike: node0 serves at e + 2 and the other nodes (node1 restarted)
    /// agree.</summary>
    private static void ExpectServedByNode0AtEpoch2(TestCluster cluster, ControlClient source)
    {
        EndpointStatus? served = WaitForEndpoint(source, e => e.State == "local", SettleBound);
        Assert.That(Where(served), Is.EqualTo(("local", 0, 2u, "kv")), "node0 serves again by itself");
        using ControlClient target = cluster.Control(1);
        using ControlClient other = cluster.Control(2);
        ExpectSeenAt(target, "the restarted node1", 0, 2);
        ExpectSeenAt(other, "node2", 0, 2);
    }

    /// <summary>Waits (bounded) until <paramref name="who"/> shows the endpoint served by
    /// <paramref name="owner"/> at <paramref name="epoch"/>, failing with what it showed last.</summary>
    private static void ExpectSeenAt(ControlClient control, string who, int owner, uint epoch)
    {
        EndpointStatus? seen = WaitForEndpoint(control, e => e.State == "remote" && e.Owner == owner && e.Epoch == epoch, SettleBound);
        Assert.That(Where(seen), Is.EqualTo(("remote", owner, epoch, (string?)null)), $"{who} knows node {owner} serves at epoch {epoch}");
    }

    /// <summary>A log line that says the state of the service's endpoint was lost, or null.</summary>
    private static string? StateLostLine(string log) =>
        log.Split('\n').FirstOrDefault(l => l.Contains("state lost", StringComparison.OrdinalIgnoreCase)
            && Regex.IsMatch(l, $@"\bendpoint {Server}\b", RegexOptions.IgnoreCase));
}
