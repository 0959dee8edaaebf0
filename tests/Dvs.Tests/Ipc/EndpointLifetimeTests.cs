namespace Dvs.Tests.Ipc;

/// <summary>
/// An endpoint unbound by another thread while a call of its own waits, and then its node
/// disposed: the waiting call returns an error; the process does not crash on an unmapped segment
/// (it did: the unbind released the endpoint's reference to the mapping at once, the node's
/// dispose released the last one, and the woken call read the unmapped slot).
/// </summary>
[TestFixture]
public unsafe class EndpointLifetimeTests
{
    public enum Call { Receive, ReceiveRequest, SendRec, ReceiveAsync }

    [TestCase(Call.Receive)]
    [TestCase(Call.ReceiveRequest)]
    [TestCase(Call.SendRec)]
    [TestCase(Call.ReceiveAsync)]
    public void AWaitingCallSurvivesItsEndpointAndNodeBeingDisposedByAnotherThread(Call call)
    {
        var host = NodeHost.Start(new NodeHostOptions { NodeName = "life" + Guid.NewGuid().ToString("N")[..10] });
        Node node = host.Attach();
        Endpoint server = node.Bind(0, 1);
        Endpoint waiter = node.Bind(0, call == Call.SendRec ? 100 : 2);
        using var entered = new ManualResetEventSlim();
        DvsError result = DvsError.Ok;
        var thread = new Thread(() =>
        {
            entered.Set();
            var m = new Message(1);
            result = call switch
            {
                Call.Receive => waiter.Receive(EndpointNumber.Any, out _, DvsTimeout.Forever),
                Call.ReceiveRequest => waiter.ReceiveRequest(out _, DvsTimeout.Forever),
                Call.SendRec => waiter.SendRec(1, ref m, DvsTimeout.Forever),
                _ => waiter.ReceiveAsync(EndpointNumber.Any, DvsTimeout.Forever).AsTask().Result.Error,
            };
        });
        thread.Start();
        entered.Wait();
        if (call == Call.SendRec)
        {
            Assert.That(server.ReceiveRequest(out _, DvsTimeout.FromMilliseconds(30_000)), Is.EqualTo(DvsError.Ok), "the call is waiting for its reply");
        }
        ReboundClientReplyTests.WaitUntil(() => Asleep(waiter), "the call sleeps in its wait");
        waiter.Dispose();
        server.Dispose();
        node.Dispose();
        host.Dispose();
        Assert.That(thread.Join(TimeSpan.FromSeconds(30)), Is.True, "the waiting call returned");
        Assert.That(result, Is.Not.EqualTo(DvsError.Ok));
    }

    private static unsafe bool Asleep(Endpoint endpoint)
    {
        Dvs.Ipc.DcView dc = endpoint.Dc;
        return Volatile.Read(ref dc.Slot(dc.SlotIndexOf(endpoint.Number))->Sleeping) != 0;
    }
}
