namespace Dvs.Tests.Ipc;

/// <summary>The async calls take a CancellationToken: it ends the wait with Canceled and leaves nothing half-sent (issue 11.26).</summary>
[TestFixture]
public class CancellationTests
{
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(10);

    [Test]
    public void ATokenCancelledBeforeTheCallSendsAndTakesNothing()
    {
        using var node = new TestNode();
        using Endpoint a = node.Node.Bind(0, 1);
        using Endpoint b = node.Node.Bind(0, 2);
        Assert.That(a.Send(2, new Message(9), DvsTimeout.NoWait), Is.EqualTo(DvsError.Ok));
        var canceled = new CancellationToken(canceled: true);
        Assert.That(a.SendAsync(2, new Message(1), DvsTimeout.Forever, canceled).AsTask().Result, Is.EqualTo(DvsError.Canceled));
        Assert.That(a.SendRecAsync(2, new Message(2), DvsTimeout.Forever, canceled).AsTask().Result.Error, Is.EqualTo(DvsError.Canceled));
        Assert.That(b.ReceiveAsync(EndpointNumber.Any, DvsTimeout.Forever, canceled).AsTask().Result.Error, Is.EqualTo(DvsError.Canceled));
        Assert.That(b.ReceiveRequestAsync(DvsTimeout.Forever, canceled).AsTask().Result.Error, Is.EqualTo(DvsError.Canceled));
        Assert.That(b.Receive(EndpointNumber.Any, out Message only, DvsTimeout.NoWait), Is.EqualTo(DvsError.Ok));
        Assert.That(only.Type, Is.EqualTo(9), "the message sent before is still there");
        Assert.That(b.Receive(EndpointNumber.Any, out _, DvsTimeout.NoWait), Is.EqualTo(DvsError.Again), "nothing was sent by the cancelled calls");
    }

    [Test]
    public void CancellingAWaitingReceiveEndsItAndTheEndpointWorksAfterwards()
    {
        using var node = new TestNode();
        using Endpoint a = node.Node.Bind(0, 1);
        using Endpoint b = node.Node.Bind(0, 2);
        foreach (bool requests in new[] { false, true })
        {
            using var cts = new CancellationTokenSource();
            ValueTask<DvsResult> waiting = requests
                ? b.ReceiveRequestAsync(DvsTimeout.Forever, cts.Token)
                : b.ReceiveAsync(EndpointNumber.Any, DvsTimeout.Forever, cts.Token);
            Assert.That(waiting.IsCompleted, Is.False);
            cts.Cancel();
            Task<DvsResult> done = waiting.AsTask();
            Assert.That(done.Wait(Guard), Is.True, "the wait ends");
            Assert.That(done.Result.Error, Is.EqualTo(DvsError.Canceled));
        }
        // Not left cancelled: the next waits complete normally.
        Task<DvsResult> next = b.ReceiveAsync(EndpointNumber.Any, DvsTimeout.FromMilliseconds(30_000), CancellationToken.None).AsTask();
        Assert.That(a.Send(2, new Message(5), DvsTimeout.NoWait), Is.EqualTo(DvsError.Ok));
        Assert.That(next.Wait(Guard), Is.True);
        Assert.That((next.Result.Error, next.Result.Message.Type), Is.EqualTo((DvsError.Ok, 5)));
    }

    [Test]
    public void CancellingASendRecWaitingForItsReplyDiscardsTheLateReply()
    {
        using var node = new TestNode();
        using Endpoint server = node.Node.Bind(0, 1);
        using Endpoint client = node.Node.Bind(0, 2);
        using var cts = new CancellationTokenSource();
        ValueTask<DvsResult> call = client.SendRecAsync(1, new Message(1), DvsTimeout.Forever, cts.Token);
        Assert.That(server.ReceiveRequest(out Message request, DvsTimeout.FromMilliseconds(30_000)), Is.EqualTo(DvsError.Ok));
        cts.Cancel();
        Task<DvsResult> done = call.AsTask();
        Assert.That(done.Wait(Guard), Is.True, "the wait ends");
        Assert.That(done.Result.Error, Is.EqualTo(DvsError.Canceled));
        // The server's reply comes too late: refused, never taken for the next call's reply.
        Assert.That(server.Reply(request.Source, new Message(100)), Is.EqualTo(DvsError.ProcSts));
        Task<DvsResult> next = client.SendRecAsync(1, new Message(2), DvsTimeout.FromMilliseconds(30_000), CancellationToken.None).AsTask();
        Assert.That(server.ReceiveRequest(out Message second, DvsTimeout.FromMilliseconds(30_000)), Is.EqualTo(DvsError.Ok));
        Assert.That(second.Type, Is.EqualTo(2));
        Assert.That(server.Reply(second.Source, new Message(200)), Is.EqualTo(DvsError.Ok));
        Assert.That(next.Wait(Guard), Is.True);
        Assert.That((next.Result.Error, next.Result.Message.Type), Is.EqualTo((DvsError.Ok, 200)));
    }

    [Test]
    public void CancellingASendWaitingForRingSpaceSendsNothing()
    {
        using var node = new TestNode(ringCapacity: 4);
        using Endpoint a = node.Node.Bind(0, 1);
        using Endpoint b = node.Node.Bind(0, 2);
        int queued = 0;
        while (a.Send(2, new Message(queued), DvsTimeout.NoWait) == DvsError.Ok)
        {
            queued++;
        }
        using var cts = new CancellationTokenSource();
        ValueTask<DvsError> send = a.SendAsync(2, new Message(-1), DvsTimeout.Forever, cts.Token);
        Assert.That(send.IsCompleted, Is.False, "the ring is full: it waits");
        cts.Cancel();
        Task<DvsError> done = send.AsTask();
        Assert.That(done.Wait(Guard), Is.True);
        Assert.That(done.Result, Is.EqualTo(DvsError.Canceled));
        for (int i = 0; i < queued; i++)
        {
            Assert.That(b.Receive(EndpointNumber.Any, out Message m, DvsTimeout.NoWait), Is.EqualTo(DvsError.Ok));
            Assert.That(m.Type, Is.EqualTo(i));
        }
        Assert.That(b.Receive(EndpointNumber.Any, out _, DvsTimeout.NoWait), Is.EqualTo(DvsError.Again), "the cancelled message was not sent");
    }

    [Test]
    public void WaitingOnThePumpWithATokenThatIsNotCancelledAllocatesNothingOnTheCallingThread()
    {
        using var node = new TestNode();
        using Endpoint a = node.Node.Bind(0, 1);
        using Endpoint b = node.Node.Bind(0, 2);
        using var cts = new CancellationTokenSource();
        foreach (CancellationToken token in new[] { CancellationToken.None, cts.Token })
        {
            for (int i = 0; i < 200; i++)
            {
                RoundTrip(a, b, token);   // warm up: JIT, the pump thread, the token's registration node
            }
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 5000; i++)
            {
                RoundTrip(a, b, token);
            }
            // The calling thread's bytes only: the pump registers the token on its own thread, and
            // process-wide counts were too noisy to assert on (the test runner allocates meanwhile).
            Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.Zero, token.CanBeCanceled ? "a cancellable token" : "None");
        }
    }

    /// <summary>A Receive that waits on the pump (the ring is empty), completed by a Send.</summary>
    private static void RoundTrip(Endpoint a, Endpoint b, CancellationToken token)
    {
        ValueTask<DvsResult> receive = b.ReceiveAsync(EndpointNumber.Any, DvsTimeout.Forever, token);
        DvsError sent = a.Send(2, new Message(1), DvsTimeout.NoWait);   // no Assert here: NUnit's constraints allocate
        if (sent != DvsError.Ok)
        {
            Assert.Fail($"Send: {sent}");
        }
        var spin = new SpinWait();
        while (!receive.IsCompleted)
        {
            spin.SpinOnce();
        }
        if (receive.Result.Error != DvsError.Ok)
        {
            Assert.Fail($"ReceiveAsync: {receive.Result.Error}");
        }
    }
}
