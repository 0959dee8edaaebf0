using Dvs.Ipc;
using Dvs.Services;

namespace Dvs.Tests.Services;

/// <summary>
/// A pre-copy logs what the service executes after its snapshot, to replay on the target; that
/// log is bounded: at <see cref="ServiceHost.PrecopyLogLimit"/> entries the service stops taking
/// requests (they wait in its ring) until the pause, where they travel as held messages: memory
/// stays bounded and no request is lost or executed twice.
/// </summary>
[TestFixture]
public class PrecopyLogBoundTests
{
    private const int Server = 2;
    private const int Limit = 4;
    private const int Requests = 10;

    [Test]
    public void AtTheLogLimitTheServiceStopsTakingRequestsAndTheRestTravelAsHeldMessages()
    {
        string name = $"plog-{Environment.ProcessId}";
        using NodeHost host = NodeHost.Start(new NodeHostOptions { NodeName = name });
        host.RegisterServiceKind(KeyValueService.KindName, () => new KeyValueService());
        ServiceHost service = host.HostService(0, Server, KeyValueService.KindName);
        service.PrecopyLogLimit = Limit;
        using Node node = Node.Attach(name);
        var clients = Enumerable.Range(0, Requests).Select(i => node.Bind(0, 10 + i)).ToList();

        MigrationPackage? header = service.BeginPrecopy(new System.Buffers.ArrayBufferWriter<byte>(), 1, TimeSpan.FromSeconds(10), out _);
        Assert.That(header, Is.Not.Null, "the snapshot was taken");
        Task<DvsError>[] calls = clients.Select(c => Task.Run(() =>
        {
            var m = new Message(KeyValueService.Increment) { [0] = 1 };
            return c.SendRec(Server, ref m, DvsTimeout.FromMilliseconds(60_000));
        })).ToArray();
        Assert.That(SpinWait.SpinUntil(() => service.Executed == Limit && service.PrecopyLogFull &&
                node.GetEndpointInfo(0, Server)!.QueueDepth == Requests - Limit, TimeSpan.FromSeconds(10)), Is.True,
            $"executed {service.Executed}, {node.GetEndpointInfo(0, Server)!.QueueDepth} waiting: the service stops at the log's limit");

        Assert.That(service.Pause(TimeSpan.FromSeconds(10)), Is.True, "a full log does not keep the service from pausing");
        var held = new List<HeldMessage>();
        MigrationDelta delta = service.TakeDelta(held);
        Assert.That(delta.LogSequences, Has.Length.EqualTo(Limit), "the log holds no more than its limit");
        Assert.That(held, Has.Count.EqualTo(Requests - Limit), "the rest are held, executed on the target");
        Assert.That(service.Executed, Is.EqualTo(Limit), "none executed twice here");
        service.Resume(held);   // as a rollback would: they are served here after all
        Assert.That(SpinWait.SpinUntil(() => service.Executed == Requests, TimeSpan.FromSeconds(10)), Is.True,
            $"executed {service.Executed} of {Requests} after the rollback");
        Assert.That(Task.WaitAll(calls, TimeSpan.FromSeconds(60)), Is.True, "every call answered");
        Assert.That(calls.Select(c => c.Result), Is.All.EqualTo(DvsError.Ok));
        clients.ForEach(c => c.Dispose());
    }
}
