using Dvs.Services;

namespace Dvs.Tests.Services;

[TestFixture]
public class MigrationTests
{
    private static readonly DvsTimeout Long = DvsTimeout.FromMilliseconds(30_000);
    private const int Server = 10;
    private static long _progress;

    [TestCase(true)]
    [TestCase(false)]
    public void MigrationBuffersAreKeptForTheNextMigrationAndDroppedWhenIdle(bool keep)
    {
        // NetworkOptions.MigrationBufferKeep: kept for an hour they stay after a back-and-forth
        // move; with no keep time the idle node hosts drop them.
        using var cluster = new ThreeNodes(count: 2, migrationBufferKeep: keep ? TimeSpan.FromHours(1) : TimeSpan.Zero);
        cluster.Hosts[0].HostService(0, Server, KeyValueService.KindName);
        Assert.That(cluster.Nodes[1].WaitForRemote(0, Server, Long), Is.EqualTo(DvsError.Ok));
        Assert.That(cluster.Hosts[0].Migrate(0, Server, 1).Error, Is.EqualTo(DvsError.Ok));
        Assert.That(cluster.Hosts[1].Migrate(0, Server, 0).Error, Is.EqualTo(DvsError.Ok));
        int Kept() => cluster.Hosts[0].KeptMigrationBuffers + cluster.Hosts[1].KeptMigrationBuffers;
        if (keep)
        {
            // Each side returned its snapshot and receive buffers once the move committed.
            SpinWait.SpinUntil(() => Kept() >= 2, TimeSpan.FromSeconds(30));
            Assert.That(Kept(), Is.GreaterThanOrEqualTo(2), "buffers kept for the next migration");
        }
        else
        {
            SpinWait.SpinUntil(() => Kept() == 0, TimeSpan.FromSeconds(30));
            Assert.That(Kept(), Is.Zero, "buffers dropped once idle");
        }
        Assert.That(cluster.Hosts[0].FindService(0, Server), Is.Not.Null, "the service is home again");
    }

    [Test]
    public void AServiceMovesBetweenNodesWhileClientsOnEveryNodeKeepCallingIt()
    {
        using var cluster = new ThreeNodes();
        cluster.Hosts[0].HostService(0, Server, KeyValueService.KindName);
        for (int i = 1; i < 3; i++)
        {
            Assert.That(cluster.Nodes[i].WaitForRemote(0, Server, Long), Is.EqualTo(DvsError.Ok));
        }
        using var stop = new CancellationTokenSource();
        var clients = new List<Task<(long Calls, string? Failure)>>();
        for (int node = 0; node < 3; node++)
        {
            for (int c = 0; c < 2; c++)
            {
                Endpoint client = cluster.Nodes[node].Bind(0, 100 + node * 10 + c);
                clients.Add(Task.Run(() => Call(client, stop.Token)));
            }
        }
        int at = 0;
        int migrations = 0;
        foreach (int to in Enumerable.Range(0, 20).Select(i => (i + 1) % 3).ToArray())
        {
            // Migrate under load: only once the clients made progress since the last move.
            long before = Interlocked.Read(ref _progress);
            SpinWait.SpinUntil(() => Interlocked.Read(ref _progress) >= before + 60, TimeSpan.FromSeconds(30));
            Assert.That(Interlocked.Read(ref _progress), Is.GreaterThanOrEqualTo(before + 60), "clients make progress");
            MigrationResult result = cluster.Hosts[at].Migrate(0, Server, to);
            TestContext.Progress.WriteLine(result.ToString());
            Assert.That(result.Error, Is.EqualTo(DvsError.Ok), result.ToString());
            Assert.That(result.Epoch, Is.EqualTo((uint)(migrations + 1)));
            at = to;
            migrations++;
            Assert.That(cluster.Hosts[at].FindService(0, Server), Is.Not.Null, $"served on node {at} after migration {migrations}");
        }
        stop.Cancel();
        long total = 0;
        foreach (var task in clients)
        {
            (long calls, string? failure) = task.GetAwaiter().GetResult();
            Assert.That(failure, Is.Null);
            total += calls;
        }
        ServiceHost host = cluster.Hosts[at].FindService(0, Server)!;
        var kv = (KeyValueService)host.Service;
        Assert.That(kv.Executed, Is.EqualTo(total), "every request executed exactly once, across all migrations");
        Assert.That(total, Is.GreaterThan(0));
        TestContext.Progress.WriteLine($"{total} calls, {kv.Executed} executed, {host.Repeats} repeats answered from the table");
    }

    [Test]
    public void RequestsServedWhileThePreCopiedStateTravelsAreReplayedOnTheTargetAndExecutedOnceInAll()
    {
        using var cluster = new ThreeNodes();
        ServiceHost first = cluster.Hosts[0].HostService(0, Server, KeyValueService.KindName);
        Assert.That(first.Service.IsDeterministic, Is.True, "kv is pre-copied");
        // 4 MiB of state: the transfer takes long enough for the clients to be served meanwhile.
        ((KeyValueService)first.Service).Ballast = 4 << 20;
        for (int i = 1; i < 3; i++)
        {
            Assert.That(cluster.Nodes[i].WaitForRemote(0, Server, Long), Is.EqualTo(DvsError.Ok));
        }
        using var stop = new CancellationTokenSource();
        var clients = new List<Task<(long Calls, string? Failure)>>();
        for (int node = 0; node < 3; node++)
        {
            Endpoint client = cluster.Nodes[node].Bind(0, 100 + node);
            clients.Add(Task.Run(() => Call(client, stop.Token)));
        }
        int at = 0;
        long replayed = 0;
        for (int i = 0; i < 6; i++)
        {
            long before = Interlocked.Read(ref _progress);
            SpinWait.SpinUntil(() => Interlocked.Read(ref _progress) >= before + 30, TimeSpan.FromSeconds(30));
            int to = (at + 1) % 3;
            MigrationResult result = cluster.Hosts[at].Migrate(0, Server, to);
            Assert.That(result.Error, Is.EqualTo(DvsError.Ok), result.ToString());
            Assert.That(result.StateBytes, Is.GreaterThan(4 << 20), "the ballast moved");
            at = to;
            replayed += cluster.Hosts[at].FindService(0, Server)!.Replayed;
        }
        stop.Cancel();
        long total = 0;
        foreach (var task in clients)
        {
            (long calls, string? failure) = task.GetAwaiter().GetResult();
            Assert.That(failure, Is.Null, "every reply is the next number: nothing lost, repeated or reordered");
            total += calls;
        }
        var kv = (KeyValueService)cluster.Hosts[at].FindService(0, Server)!.Service;
        Assert.That(kv.Executed, Is.EqualTo(total), "every request executed exactly once, replays included");
        Assert.That(replayed, Is.Positive, "requests were served during the transfers and replayed on the targets");
        TestContext.Progress.WriteLine($"{total} calls, {replayed} replayed on the targets");
    }

    /// <summary>Increments the client's own key: the n-th reply must be n (no loss, no repeat, no reorder).</summary>
    private static (long, string?) Call(Endpoint client, CancellationToken stop)
    {
        using (client)
        {
            long n = 0;
            while (!stop.IsCancellationRequested)
            {
                var m = new Message(KeyValueService.Increment) { [0] = client.Number };
                DvsError e = client.SendRec(Server, ref m, Long);
                if (e != DvsError.Ok)
                {
                    return (n, $"client {client.Number} call {n + 1}: {e}");
                }
                if (m[0] != n + 1)
                {
                    return (n, $"client {client.Number} call {n + 1} got {m[0]}");
                }
                n++;
                Interlocked.Increment(ref _progress);
            }
            return (n, null);
        }
    }
}
