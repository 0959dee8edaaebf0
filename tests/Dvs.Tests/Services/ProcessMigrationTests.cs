using Dvs.Services;
using Dvs.Tests.Ipc;

namespace Dvs.Tests.Services;

/// <summary>A service that runs in its own process migrates to a standby process on another node.</summary>
[TestFixture]
public class ProcessMigrationTests
{
    private static readonly DvsTimeout Long = DvsTimeout.FromMilliseconds(30_000);
    private const int Server = 10;

    [Test]
    public void AServiceInItsOwnProcessMovesToAStandbyProcessOnAnotherNode()
    {
        using var cluster = new ThreeNodes(registerKv: false);   // node 1 cannot run "kv" itself: its standby process must
        using var server = new ChildProcess("kvserver", cluster.Hosts[0].NodeName, "0", Server.ToString());
        server.ExpectLine("ready");
        using var standby = new ChildProcess("kvstandby", cluster.Hosts[1].NodeName, "0", "20");
        standby.ExpectLine("ready");
        using Endpoint client = cluster.Nodes[2].Bind(0, 100);
        Assert.That(cluster.Nodes[2].WaitForRemote(0, Server, Long), Is.EqualTo(DvsError.Ok));
        for (long i = 1; i <= 100; i++)
        {
            Assert.That(Increment(client), Is.EqualTo(i));
        }

        MigrationResult result = cluster.Hosts[0].Migrate(0, Server, 1);
        Assert.That(result.Error, Is.EqualTo(DvsError.Ok), result.ToString());
        server.ExpectLine("moved");
        standby.ExpectLine($"serving {Server}");
        Assert.That(server.WaitForExit(), Is.EqualTo(0));

        for (long i = 101; i <= 200; i++)
        {
            Assert.That(Increment(client), Is.EqualTo(i), "state and exactly-once table moved with the endpoint");
        }
        EndpointInfo info = cluster.Nodes[1].GetEndpointInfo(0, Server)!;
        Assert.That(info.State, Is.EqualTo("local"));
        Assert.That(info.OwnerPid, Is.EqualTo(standby.Pid), "served by the standby process now");
        Assert.That(info.Epoch, Is.EqualTo(1u));
    }

    [Test]
    public void APreCopiedHostedServiceMovesToAStandbyProcessWhichReplaysWhatWasServedMeanwhile()
    {
        using var cluster = new ThreeNodes(registerKv: false);   // only node 0 hosts "kv"; node 1 has a standby process
        ServiceHost hosted = cluster.Hosts[0].HostService(0, Server, KeyValueService.KindName);
        ((KeyValueService)hosted.Service).Ballast = 2 << 20;     // a transfer long enough to serve during it
        using var standby = new ChildProcess("kvstandby", cluster.Hosts[1].NodeName, "0", "20");
        standby.ExpectLine("ready");
        using Endpoint client = cluster.Nodes[2].Bind(0, 100);
        Assert.That(cluster.Nodes[2].WaitForRemote(0, Server, Long), Is.EqualTo(DvsError.Ok));
        using Endpoint local = cluster.Nodes[0].Bind(0, 101);
        long served = 0;
        string? failure = null;
        using var stop = new CancellationTokenSource();
        var caller = new Thread(() =>
        {
            // A client on the old node keeps calling through the migration: its requests are
            // executed there during the transfer, then replayed by the standby process.
            for (long i = 1; !stop.IsCancellationRequested; i++)
            {
                var m = new Message(KeyValueService.Increment) { [0] = local.Number };
                DvsError e = local.SendRec(Server, ref m, Long);
                if (e != DvsError.Ok || m[0] != i)
                {
                    failure = $"call {i}: {e}, reply {m[0]}";
                    return;
                }
                Interlocked.Exchange(ref served, i);
            }
        });
        caller.Start();
        try
        {
            SpinWait.SpinUntil(() => Interlocked.Read(ref served) >= 50 || failure is not null, TimeSpan.FromSeconds(30));
            MigrationResult result = cluster.Hosts[0].Migrate(0, Server, 1);
            Assert.That(result.Error, Is.EqualTo(DvsError.Ok), result.ToString());
            standby.ExpectLine($"serving {Server}");
            long after = Interlocked.Read(ref served);
            SpinWait.SpinUntil(() => Interlocked.Read(ref served) >= after + 50 || failure is not null, TimeSpan.FromSeconds(30));
        }
        finally
        {
            stop.Cancel();
            caller.Join();
        }
        Assert.That(failure, Is.Null, "the local client's replies are 1, 2, 3, ... across the move");
        Assert.That(Increment(client), Is.EqualTo(1), "the other client's key: untouched, executed once");
        var check = new Message(KeyValueService.Get) { [0] = local.Number };
        Assert.That(client.SendRec(Server, ref check, Long), Is.EqualTo(DvsError.Ok));
        Assert.That(check[0], Is.EqualTo(Interlocked.Read(ref served)), "every call of the local client executed exactly once, replays included");
        Assert.That(cluster.Nodes[1].GetEndpointInfo(0, Server)!.OwnerPid, Is.EqualTo(standby.Pid), "served by the standby process");
    }

    [Test]
    public void WithoutAStandbyTheMigrationOfAProcessServiceRollsBackAndItGoesOnServing()
    {
        using var cluster = new ThreeNodes(registerKv: false);
        using var server = new ChildProcess("kvserver", cluster.Hosts[0].NodeName, "0", Server.ToString());
        server.ExpectLine("ready");
        using Endpoint client = cluster.Nodes[2].Bind(0, 100);
        Assert.That(cluster.Nodes[2].WaitForRemote(0, Server, Long), Is.EqualTo(DvsError.Ok));
        Assert.That(Increment(client), Is.EqualTo(1));
        MigrationResult result = cluster.Hosts[0].Migrate(0, Server, 1);
        Assert.That(result.Error, Is.EqualTo(DvsError.BadValue), result.ToString());
        Assert.That(Increment(client), Is.EqualTo(2), "the process resumed serving");
    }

    private static long Increment(Endpoint client)
    {
        var m = new Message(KeyValueService.Increment) { [0] = client.Number };
        Assert.That(client.SendRec(Server, ref m, Long), Is.EqualTo(DvsError.Ok));
        return m[0];
    }
}
