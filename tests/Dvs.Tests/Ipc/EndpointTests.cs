namespace Dvs.Tests.Ipc;

[TestFixture]
public class EndpointTests
{
    private static readonly DvsTimeout Generous = DvsTimeout.FromMilliseconds(30_000);

    [Test]
    public void SendThenReceiveDeliversTheMessageStampedWithTheSender()
    {
        using var node = new TestNode();
        using Endpoint a = node.Node.Bind(0, 1);
        using Endpoint b = node.Node.Bind(0, 2);
        var m = new Message(42) { [0] = 7, [6] = -9 };
        m.Source = 12345; // must be overwritten
        Assert.That(a.Send(2, in m, DvsTimeout.NoWait), Is.EqualTo(DvsError.Ok));
        Assert.That(b.Receive(EndpointNumber.Any, out Message got, DvsTimeout.NoWait), Is.EqualTo(DvsError.Ok));
        Assert.That(got.Source, Is.EqualTo(1));
        Assert.That(got.Type, Is.EqualTo(42));
        Assert.That(got[0], Is.EqualTo(7));
        Assert.That(got[6], Is.EqualTo(-9));
    }

    [Test]
    public void ReceiveFromOneSourceLeavesOthersQueuedInOrder()
    {
        using var node = new TestNode();
        using Endpoint a = node.Node.Bind(0, 1);
        using Endpoint b = node.Node.Bind(0, 2);
        using Endpoint c = node.Node.Bind(0, 3);
        for (int i = 0; i < 3; i++)
        {
            Assert.That(a.Send(3, new Message(100 + i), DvsTimeout.NoWait), Is.EqualTo(DvsError.Ok));
        }
        Assert.That(b.Send(3, new Message(200), DvsTimeout.NoWait), Is.EqualTo(DvsError.Ok));
        Assert.That(c.Receive(2, out Message fromB, DvsTimeout.NoWait), Is.EqualTo(DvsError.Ok));
        Assert.That(fromB.Type, Is.EqualTo(200));
        for (int i = 0; i < 3; i++)
        {
            Assert.That(c.Receive(EndpointNumber.Any, out Message fromA, DvsTimeout.NoWait), Is.EqualTo(DvsError.Ok));
            Assert.That(fromA.Type, Is.EqualTo(100 + i));
        }
        Assert.That(c.Receive(EndpointNumber.Any, out _, DvsTimeout.NoWait), Is.EqualTo(DvsError.Again));
    }

    [Test]
    public void SendRecGetsTheReplyToItsOwnRequest()
    {
        using var node = new TestNode();
        using Endpoint server = node.Node.Bind(0, 1);
        using Endpoint client = node.Node.Bind(0, 100);
        var serverThread = new Thread(() =>
        {
            for (int i = 0; i < 1000; i++)
            {
                if (server.ReceiveRequest(out Message rq, Generous) != DvsError.Ok)
                {
                    return;
                }
                var reply = new Message(rq.Type + 1) { [0] = rq[0] * 2 };
                server.Reply(rq.Source, in reply);
            }
        });
        serverThread.Start();
        for (int i = 0; i < 1000; i++)
        {
            var m = new Message(i) { [0] = i };
            Assert.That(client.SendRec(1, ref m, Generous), Is.EqualTo(DvsError.Ok));
            Assert.That(m.Type, Is.EqualTo(i + 1));
            Assert.That(m[0], Is.EqualTo(2L * i));
            Assert.That(m.Source, Is.EqualTo(1));
        }
        serverThread.Join();
    }

    [Test]
    public void ReceiveRequestSkipsPlainSendsAndNotifications()
    {
        using var node = new TestNode();
        using Endpoint server = node.Node.Bind(0, 1);
        using Endpoint other = node.Node.Bind(0, 2);
        using Endpoint client = node.Node.Bind(0, 100);
        Assert.That(other.Send(1, new Message(5), DvsTimeout.NoWait), Is.EqualTo(DvsError.Ok));
        Assert.That(other.Notify(1), Is.EqualTo(DvsError.Ok));
        var t = new Thread(() =>
        {
            var m = new Message(77);
            client.SendRec(1, ref m, Generous);
        });
        t.Start();
        Assert.That(server.ReceiveRequest(out Message rq, Generous), Is.EqualTo(DvsError.Ok));
        Assert.That(rq.Type, Is.EqualTo(77));
        Assert.That(server.Reply(100, new Message(78)), Is.EqualTo(DvsError.Ok));
        t.Join();
        Assert.That(server.Receive(EndpointNumber.Any, out Message n, DvsTimeout.NoWait), Is.EqualTo(DvsError.Ok));
        Assert.That(n.IsNotify, Is.True, "the notification comes before queued messages");
        Assert.That(server.Receive(EndpointNumber.Any, out Message s, DvsTimeout.NoWait), Is.EqualTo(DvsError.Ok));
        Assert.That(s.Type, Is.EqualTo(5));
    }

    [Test]
    public void NotificationsFromOneSourceCoalesce()
    {
        using var node = new TestNode();
        using Endpoint a = node.Node.Bind(0, 1);
        using Endpoint b = node.Node.Bind(0, -5);
        for (int i = 0; i < 5; i++)
        {
            Assert.That(b.Notify(1), Is.EqualTo(DvsError.Ok));
        }
        Assert.That(a.Receive(EndpointNumber.Any, out Message n, DvsTimeout.NoWait), Is.EqualTo(DvsError.Ok));
        Assert.That(n.Source, Is.EqualTo(-5));
        Assert.That(n.Type, Is.EqualTo(Message.NotifyType));
        Assert.That(a.Receive(EndpointNumber.Any, out _, DvsTimeout.NoWait), Is.EqualTo(DvsError.Again));
    }

    [Test]
    public void NotificationsFromManySourcesAreAllDelivered()
    {
        using var node = new TestNode(nrProcs: 300, nrSysProcs: 335);
        using Endpoint target = node.Node.Bind(0, 0);
        var senders = new List<Endpoint>();
        int[] numbers = [-35, -1, 1, 28, 29, 64, 100, 200, 299];
        foreach (int n in numbers)
        {
            senders.Add(node.Node.Bind(0, n));
        }
        foreach (Endpoint s in senders)
        {
            Assert.That(s.Notify(0), Is.EqualTo(DvsError.Ok));
        }
        var seen = new HashSet<int>();
        while (target.Receive(EndpointNumber.Any, out Message m, DvsTimeout.NoWait) == DvsError.Ok)
        {
            Assert.That(seen.Add(m.Source), Is.True, $"notification from {m.Source} delivered twice");
        }
        Assert.That(seen, Is.EquivalentTo(numbers));
        senders.ForEach(s => s.Dispose());
    }

    [Test]
    public void AsyncSendRecAndReceiveRequestComplete()
    {
        using var node = new TestNode();
        using Endpoint server = node.Node.Bind(0, 1);
        using Endpoint client = node.Node.Bind(0, 100);
        ValueTask<DvsResult> pending = server.ReceiveRequestAsync(Generous);
        ValueTask<DvsResult> call = client.SendRecAsync(1, new Message(9), Generous);
        DvsResult request = pending.AsTask().GetAwaiter().GetResult();
        Assert.That(request.Error, Is.EqualTo(DvsError.Ok));
        Assert.That(server.Reply(request.Message.Source, new Message(10)), Is.EqualTo(DvsError.Ok));
        DvsResult reply = call.AsTask().GetAwaiter().GetResult();
        Assert.That(reply.Error, Is.EqualTo(DvsError.Ok));
        Assert.That(reply.Message.Type, Is.EqualTo(10));
    }

    [Test]
    public void VCopyMovesOneMebibyteBetweenEndpoints()
    {
        using var node = new TestNode();
        using Endpoint a = node.Node.Bind(0, 1);
        using Endpoint b = node.Node.Bind(0, 2);
        byte[] source = GC.AllocateArray<byte>(1 << 20, pinned: true);
        byte[] target = GC.AllocateArray<byte>(1 << 20, pinned: true);
        new Random(5).NextBytes(source);
        unsafe
        {
            fixed (byte* s = source, d = target)
            {
                Assert.That(a.VCopy(1, (nint)s, 2, (nint)d, source.Length), Is.EqualTo(DvsError.Ok));
            }
        }
        Assert.That(target, Is.EqualTo(source));
    }
}
