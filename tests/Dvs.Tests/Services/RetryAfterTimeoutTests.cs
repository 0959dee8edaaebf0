using Dvs.Services;

namespace Dvs.Tests.Services;

/// <summary>
/// Issue 11.9: a request whose SendRec gave up may still execute. Retrying it as a new SendRec
/// executes it again; <see cref="Endpoint.RetrySendRec"/> sends the same request (same binding,
/// same sequence), which a hosted service's exactly-once table answers at most once.
/// </summary>
[TestFixture]
public class RetryAfterTimeoutTests
{
    private static readonly DvsTimeout Long = DvsTimeout.FromMilliseconds(30_000);
    private const int Server = 10;
    private const int Client = 100;

    [Test]
    public void ARetryAfterATimeoutAcrossAMigrationIsAnsweredOnce()
    {
        using var cluster = new ThreeNodes();
        cluster.Hosts[0].HostService(0, Server, KeyValueService.KindName);
        using Endpoint client = cluster.Nodes[2].Bind(0, Client);
        Assert.That(cluster.Nodes[2].WaitForRemote(0, Server, Long), Is.EqualTo(DvsError.Ok));
        Assert.That(Increment(client, Long), Is.EqualTo((DvsError.Ok, 1L)));

        // The service is paused for a migration: the request is held, the caller gives up.
        Assert.That(cluster.Hosts[0].MigrateStart(0, Server, 1), Is.EqualTo(DvsError.Ok));
        var request = new Message(KeyValueService.Increment) { [0] = Client };
        Message attempt = request;
        Assert.That(client.SendRec(Server, ref attempt, DvsTimeout.FromMilliseconds(100)), Is.EqualTo(DvsError.TimedOut));
        RequestId held = client.LastRequest;
        Assert.That(held.Destination, Is.EqualTo(Server));

        // The held request moves with the service and runs on node 1; its reply has nobody to go to.
        Assert.That(cluster.Hosts[0].MigrateCommit(0, Server), Is.EqualTo(DvsError.Ok));

        // The retry is the same request: answered from the table, not executed a second time.
        Message retried = request;
        Assert.That(client.RetrySendRec(held, ref retried, Long), Is.EqualTo(DvsError.Ok));
        Assert.That(retried[0], Is.EqualTo(2), "the held request's own reply");
        Assert.That(Increment(client, Long), Is.EqualTo((DvsError.Ok, 3L)), "the next request executes once");
        var kv = (KeyValueService)cluster.Hosts[1].FindService(0, Server)!.Service;
        Assert.That(kv.Executed, Is.EqualTo(3), "three requests executed in all (the count moved with the state): the retry was not one of them");
    }

    [Test]
    public async Task AnAsyncRetryAfterATimeoutIsAnsweredOnce()
    {
        using var cluster = new ThreeNodes(count: 2);
        cluster.Hosts[0].HostService(0, Server, KeyValueService.KindName);
        using Endpoint client = cluster.Nodes[1].Bind(0, Client);
        Assert.That(cluster.Nodes[1].WaitForRemote(0, Server, Long), Is.EqualTo(DvsError.Ok));
        Assert.That(cluster.Hosts[0].MigrateStart(0, Server, 1), Is.EqualTo(DvsError.Ok));
        var request = new Message(KeyValueService.Increment) { [0] = Client };
        DvsResult first = await client.SendRecAsync(Server, request, DvsTimeout.FromMilliseconds(100));
        Assert.That(first.Error, Is.EqualTo(DvsError.TimedOut));
        RequestId held = client.LastRequest;
        Assert.That(cluster.Hosts[0].MigrateCommit(0, Server), Is.EqualTo(DvsError.Ok));
        DvsResult retried = await client.RetrySendRecAsync(held, request, Long);
        Assert.That(retried.Error, Is.EqualTo(DvsError.Ok));
        Assert.That(retried.Message[0], Is.EqualTo(1), "the held request's own reply");
        Assert.That(Increment(client, Long), Is.EqualTo((DvsError.Ok, 2L)));
        var kv = (KeyValueService)cluster.Hosts[1].FindService(0, Server)!.Service;
        Assert.That(kv.Executed, Is.EqualTo(2), "the retry was not executed again");
    }

    [Test]
    public void ARetryOfARequestThatWasNeverDeliveredExecutesIt()
    {
        using var cluster = new ThreeNodes(count: 2);
        cluster.Hosts[0].HostService(0, Server, KeyValueService.KindName);
        using Endpoint client = cluster.Nodes[1].Bind(0, Client);
        Assert.That(cluster.Nodes[1].WaitForRemote(0, Server, Long), Is.EqualTo(DvsError.Ok));
        var request = new Message(KeyValueService.Increment) { [0] = Client };
        Message first = request;
        Assert.That(client.SendRec(Server, ref first, Long), Is.EqualTo(DvsError.Ok));
        RequestId done = client.LastRequest;
        Message again = request;
        Assert.That(client.RetrySendRec(done, ref again, Long), Is.EqualTo(DvsError.Ok));
        Assert.That(again[0], Is.EqualTo(first[0]), "a retry of an executed request gets its reply again");
        var kv = (KeyValueService)cluster.Hosts[0].FindService(0, Server)!.Service;
        Assert.That(kv.Executed, Is.EqualTo(1));
    }

    [Test]
    public void ARequestIdOfAnotherBindingIsRefused()
    {
        using var cluster = new ThreeNodes(count: 1);
        cluster.Hosts[0].HostService(0, Server, KeyValueService.KindName);
        RequestId old;
        using (Endpoint first = cluster.Nodes[0].Bind(0, Client))
        {
            Assert.That(Increment(first, Long).Error, Is.EqualTo(DvsError.Ok));
            old = first.LastRequest;
        }
        using Endpoint second = cluster.Nodes[0].Bind(0, Client);
        var m = new Message(KeyValueService.Increment) { [0] = Client };
        Assert.Multiple(() =>
        {
            Assert.That(second.RetrySendRec(old, ref m, Long), Is.EqualTo(DvsError.Invalid));
            Assert.That(second.RetrySendRec(default, ref m, Long), Is.EqualTo(DvsError.Invalid));
        });
    }

    private static (DvsError Error, long Value) Increment(Endpoint client, DvsTimeout timeout)
    {
        var m = new Message(KeyValueService.Increment) { [0] = Client };
        DvsError error = client.SendRec(Server, ref m, timeout);
        return (error, m[0]);
    }
}
