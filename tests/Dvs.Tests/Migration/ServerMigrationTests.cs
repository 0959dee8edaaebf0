using Dvs.FaultRelay;
using Dvs.Hosting;
using Dvs.Tests.Cli;
using Dvs.Tests.Cluster;
using static Dvs.Tests.Migration.MigrationChecks;

namespace Dvs.Tests.Migration;

/// <summary>
/// Server migration between running node host processes (dvs node run), driven through their
/// control sockets (dvs migrate, <see cref="ControlClient"/>), while clients in their own processes
/// on every node call the migrating "kv" service declared in node0.ini.
/// </summary>
[TestFixture]
[NonParallelizable]
[Category("Cluster")]
public class ServerMigrationTests
{
    private const int Step = 20;
    private static readonly TimeSpan PeerStateBound = TimeSpan.FromSeconds(30);

    [Test]
    public void ClientsOnEveryNodeSeeNothingOfTwentyMigrationsByDvsMigrate()
    {
        using TestCluster cluster = StartCluster();
        var clients = new List<KvClients>();
        try
        {
            for (int node = 0; node < 3; node++)
            {
                clients.Add(KvClients.Start(cluster.NodeName(node), 0, 100 + 10 * node, 2, Server, Step));
            }
            int at = 0;
            for (int i = 1; i <= 20; i++)
            {
                AllProgress(clients);
                int to = (at + 1) % 3;
                CliResult r = CliRun.Run("migrate", "--node", cluster.NodeName(at), "--dc", "0", "--endpoint", Server.ToString(),
                    "--to", cluster.NodeName(to));
                TestContext.Progress.WriteLine($"migration {i}: {r.Output.Trim()}{r.Error.Trim()}");
                Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString());
                Assert.That(r.Output, Does.Contain($"node {at} -> node {to}: start ok, transfer ok, prepare ok, commit ok; epoch {i},"));
                at = to;
            }
            AllProgress(clients);
            var counts = clients.SelectMany(c => c.Stop()).ToDictionary(p => p.Key, p => p.Value);
            ExpectExecuted(cluster, at, counts.Values.Sum(), counts);

            using ControlClient owner = cluster.Control(at);
            EndpointStatus served = FindEndpoint(owner.Status(), Server);
            Assert.That((served.State, served.Owner, served.Epoch, served.Service?.Kind), Is.EqualTo(("local", at, 20u, "kv")));
        }
        finally
        {
            clients.ForEach(c => c.Dispose());
        }
    }

    [Test]
    public void ClientsSeeNothingOfTwentyMigrationsThroughLossyDuplicatingReorderingLinks()
    {
        var faults = new FaultOptions(Drop: 0.10, Duplicate: 0.10, Reorder: 0.25, Seed: 505);
        TestContext.Out.WriteLine($"relay seed {faults.Seed}");
        using TestCluster cluster = StartCluster(faults);
        var clients = new List<KvClients>();
        try
        {
            for (int node = 0; node < 3; node++)
            {
                clients.Add(KvClients.Start(cluster.NodeName(node), 0, 100 + 10 * node, 2, Server, Step));
            }
            int at = 0;
            for (uint i = 1; i <= 20; i++)
            {
                AllProgress(clients);
                int to = (at + 1) % 3;
                using ControlClient control = cluster.Control(at);
                ControlResponse r = control.Migrate(0, Server, to);
                TestContext.Progress.WriteLine($"migration {i}: {r.Error} phase {r.Phase} epoch {r.Epoch} {r.ElapsedMs:0.0} ms");
                Assert.That((r.Ok, r.Phase, r.Epoch, r.From, r.To), Is.EqualTo((true, "done", (uint?)i, (int?)at, (int?)to)), r.Message);
                Assert.That(r.StateBytes, Is.Positive);
                at = to;
            }
            AllProgress(clients);
            var counts = clients.SelectMany(c => c.Stop()).ToDictionary(p => p.Key, p => p.Value);
            ExpectExecuted(cluster, at, counts.Values.Sum(), counts);
        }
        finally
        {
            clients.ForEach(c => c.Dispose());
        }
    }

    [Test]
    public void ATargetKilledBetweenStartAndCommitFailsTheCommitAndTheServiceStaysOnItsNode()
    {
        using TestCluster cluster = StartCluster(peerDownMs: 1000);
        var clients = new List<KvClients>();
        try
        {
            // Not on node1: its processes die with its host.
            clients.Add(KvClients.Start(cluster.NodeName(0), 0, 100, 2, Server, Step));
            clients.Add(KvClients.Start(cluster.NodeName(2), 0, 120, 2, Server, Step));
            AllProgress(clients);
            using ControlClient control = cluster.Control(0);
            ControlResponse started = control.MigrateStart(0, Server, 1);
            Assert.That((started.Ok, started.Phase), Is.EqualTo((true, "started")), started.Message);

            cluster.Host(1).Kill();
            // Commit only once node0 knows the target is gone (bounded wait on its status).
            Assert.That(SpinWait.SpinUntil(() => PeerState(control, 1) == "down", PeerStateBound), Is.True,
                $"node0 declares the killed node1 down within {PeerStateBound}");
            // The source rolled back on its own when it declared the target down; the operator's
            // commit is told why.
            ControlResponse commit = control.MigrateCommit(0, Server);
            Assert.That((commit.Ok, commit.DvsError, commit.Phase), Is.EqualTo((false, DvsError.NotConnected, "commit")), commit.Message);

            // Rolled back: node0 serves again, held requests first, at epoch + 2 (newer than the
            // epoch + 1 the target may have confirmed).
            AllProgress(clients);
            EndpointStatus served = FindEndpoint(control.Status(), Server);
            Assert.That((served.State, served.Owner, served.Epoch, served.Service?.Kind), Is.EqualTo(("local", 0, 2u, "kv")));

            // node1 comes back (a new incarnation, nothing of the abandoned migration left) and the
            // service can move there after all.
            cluster.Restart(1);
            Assert.That(SpinWait.SpinUntil(() => PeerState(control, 1) == "up", PeerStateBound), Is.True,
                $"node0 sees the restarted node1 up within {PeerStateBound}");
            ControlResponse again = control.Migrate(0, Server, 1);
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

    [Test]
    public void WhenTheOldHostIsKilledRightAfterACommitClientsOnTheOtherNodesGoOnWithTheNewOwner()
    {
        using TestCluster cluster = StartCluster(peerDownMs: 1000);
        var clients = new List<KvClients>();
        try
        {
            KvClients onOld = KvClients.Start(cluster.NodeName(0), 0, 100, 1, Server, Step);
            clients.Add(onOld);
            clients.Add(KvClients.Start(cluster.NodeName(1), 0, 110, 2, Server, Step));
            clients.Add(KvClients.Start(cluster.NodeName(2), 0, 120, 2, Server, Step));
            AllProgress(clients);
            // node0's own client ends cleanly, so every call made is known; the others keep calling.
            var counts = onOld.Stop().ToDictionary(p => p.Key, p => p.Value);
            clients.Remove(onOld);
            onOld.Dispose();

            using (ControlClient control = cluster.Control(0))
            {
                ControlResponse r = control.Migrate(0, Server, 1);
                Assert.That((r.Ok, r.Epoch), Is.EqualTo((true, (uint?)1)), r.Message);
            }
            cluster.Host(0).Kill();

            // Requests on their way through node0's forwarding stub die with it; the callers replay
            // them to the new owner, which answers each at most once. The calls go on right after
            // the kill, and after the survivors declared node0 down (callers waiting on a down
            // node are failed: none may be waiting on node0 any more).
            AllProgress(clients);
            using ControlClient owner = cluster.Control(1);
            using ControlClient other = cluster.Control(2);
            Assert.That(SpinWait.SpinUntil(() => PeerState(owner, 0) == "down" && PeerState(other, 0) == "down", PeerStateBound), Is.True,
                $"nodes 1 and 2 declare the killed node0 down within {PeerStateBound}");
            AllProgress(clients);
            EndpointStatus served = FindEndpoint(owner.Status(), Server);
            Assert.That((served.State, served.Owner, served.Epoch), Is.EqualTo(("local", 1, 1u)));
            EndpointStatus seen = FindEndpoint(other.Status(), Server);
            Assert.That((seen.State, seen.Owner, seen.Epoch), Is.EqualTo(("remote", 1, 1u)), "node2 knows the new owner");

            // node0 restarts; its ini still declares the service, which lives on node1 now: node0
            // learns it from its peers before it starts its services, and does not start a second
            // one (it used to start it at epoch 0 and yield only once node1's announcement came).
            // Then the service can come home.
            NodeProcess restarted0 = cluster.Restart(0);
            string? serviceLine = restarted0.WaitForLine(l => l.StartsWith("service ", StringComparison.Ordinal), NodeProcess.StartTimeout);
            Assert.That(serviceLine, Does.Contain("not started").And.Contain("served by node 1 (epoch 1)"));
            Assert.That(SpinWait.SpinUntil(() => PeerState(owner, 0) == "up", PeerStateBound), Is.True,
                $"node1 sees the restarted node0 up within {PeerStateBound}");
            using (ControlClient restarted = cluster.Control(0))
            {
                EndpointStatus there = FindEndpoint(restarted.Status(), Server);
                Assert.That((there.State, there.Owner, there.Epoch, there.Service), Is.EqualTo(("remote", 1, 1u, (ServiceStatus?)null)));
            }
            ControlResponse home = owner.Migrate(0, Server, 0);
            Assert.That((home.Ok, home.Epoch), Is.EqualTo((true, (uint?)2)), home.Message);
            AllProgress(clients);
            foreach (KvClients c in clients)
            {
                foreach ((int ep, long n) in c.Stop())
                {
                    counts[ep] = n;
                }
            }
            ExpectExecuted(cluster, 0, counts.Values.Sum(), counts);
        }
        finally
        {
            clients.ForEach(c => c.Dispose());
        }
    }

    [Test]
    public void AServiceInItsOwnProcessMovesByTheControlChannelAndOnBetweenHosts()
    {
        using var cluster = TestCluster.Start();
        using var server = new Dvs.Tests.Ipc.ChildProcess("kvserver", cluster.NodeName(0), "0", Server.ToString());
        server.ExpectLine("ready");
        var clients = new List<KvClients>();
        try
        {
            clients.Add(KvClients.Start(cluster.NodeName(1), 0, 110, 2, Server, Step));
            clients.Add(KvClients.Start(cluster.NodeName(2), 0, 120, 2, Server, Step));
            AllProgress(clients);
            int at = 0;
            uint epoch = 0;
            // The process hands its service to node1's host (every dvs node run host can run "kv"),
            // which passes it on like any hosted service.
            foreach (int to in new[] { 1, 2, 0 })
            {
                using ControlClient control = cluster.Control(at);
                ControlResponse r = control.Migrate(0, Server, to);
                Assert.That((r.Ok, r.Epoch), Is.EqualTo((true, (uint?)++epoch)), r.Message);
                if (at == 0)
                {
                    server.ExpectLine("moved");
                    Assert.That(server.WaitForExit(), Is.EqualTo(0));
                }
                at = to;
                AllProgress(clients);
            }
            var counts = clients.SelectMany(c => c.Stop()).ToDictionary(p => p.Key, p => p.Value);
            ExpectExecuted(cluster, at, counts.Values.Sum(), counts);
        }
        finally
        {
            clients.ForEach(c => c.Dispose());
        }
    }

    [Test]
    public void ARestartedNodeDoesNotServeItsConfiguredServiceWhileItLivesOnElsewhere()
    {
        using TestCluster cluster = StartCluster(peerDownMs: 1000);
        using (ControlClient control = cluster.Control(0))
        {
            ControlResponse r = control.Migrate(0, Server, 1);
            Assert.That(r.Ok, Is.True, r.Message);
        }
        cluster.Host(0).Kill();
        int owner = cluster.Host(1).Pid;
        Signal("STOP", owner);   // the owner is unreachable while node0 starts again
        try
        {
            cluster.Restart(0);
        }
        finally
        {
            Signal("CONT", owner);
        }
        using ControlClient restarted = cluster.Control(0);
        Assert.That(SpinWait.SpinUntil(() => PeerState(restarted, 1) == "up", PeerStateBound), Is.True);
        // node1's endpoint list reaches node0 right after the peer is up: wait (bounded) for it.
        SpinWait.SpinUntil(() => FindEndpoint(restarted.Status(), Server).State == "remote", PeerStateBound);
        using ControlClient ownerControl = cluster.Control(1);
        EndpointStatus there = FindEndpoint(ownerControl.Status(), Server);
        Assert.That((there.State, there.Epoch), Is.EqualTo(("local", 1u)));
        EndpointStatus here = FindEndpoint(restarted.Status(), Server);
        Assert.That((here.State, here.Owner, here.Epoch), Is.EqualTo(("remote", 1, 1u)), "one owner of endpoint 10 in the DC, the one with the newest epoch");
    }

    private static void Signal(string signal, int pid)
    {
        using var kill = System.Diagnostics.Process.Start("kill", ["-" + signal, pid.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
    }
}
