namespace Dvs.Tests.Ipc;

/// <summary>
/// Issue 11.13: a receive from one source gets that source's message through even when another
/// sender keeps the ring and the set-aside queue full; nobody's messages are lost or reordered.
/// </summary>
[TestFixture]
public class SelectiveReceiveTests
{
    private static readonly DvsTimeout Long = DvsTimeout.FromMilliseconds(30_000);
    private const int Capacity = 64;            // ring cells; the set-aside queue holds 4x that

    [Test]
    public void AReceiveFromOneSourceIsNotStarvedByAFlood()
    {
        using var node = new TestNode(ringCapacity: Capacity);
        using Endpoint flooder = node.Node.Bind(0, 1);
        using Endpoint other = node.Node.Bind(0, 2);
        using Endpoint receiver = node.Node.Bind(0, 3);
        const int flood = Capacity * 12;

        // The flood fills the ring and then the set-aside queue.
        int sent = 0;
        while (sent < flood && flooder.Send(3, new Message(sent), DvsTimeout.NoWait) == DvsError.Ok)
        {
            sent++;
            if (sent % Capacity == 0)
            {
                Assert.That(receiver.Receive(2, out _, DvsTimeout.NoWait), Is.EqualTo(DvsError.Again));
            }
        }
        Assert.That(sent, Is.LessThan(flood), "the flood was held back at some point");

        // The flooder keeps pushing (it waits for room); the other source sends one message.
        DvsError flooderResult = DvsError.Ok;
        var flooding = new Thread(() =>
        {
            for (int i = sent; i < flood && flooderResult == DvsError.Ok; i++)
            {
                flooderResult = flooder.Send(3, new Message(i), Long);
            }
        });
        DvsError otherResult = DvsError.Generic;
        var single = new Thread(() => otherResult = other.Send(3, new Message(-1), Long));
        flooding.Start();
        single.Start();
        try
        {
            Assert.That(receiver.Receive(2, out Message fromOther, DvsTimeout.FromMilliseconds(10_000)), Is.EqualTo(DvsError.Ok),
                "the receive from the other source got its message");
            Assert.That(fromOther.Type, Is.EqualTo(-1));
            // Every flood message arrives once, in order.
            for (int i = 0; i < flood; i++)
            {
                Assert.That(receiver.Receive(1, out Message m, Long), Is.EqualTo(DvsError.Ok));
                Assert.That(m.Type, Is.EqualTo(i));
            }
        }
        finally
        {
            receiver.Unbind();      // wakes the senders if the receive failed
            flooding.Join();
            single.Join();
        }
        Assert.That(otherResult, Is.EqualTo(DvsError.Ok));
        Assert.That(flooderResult, Is.EqualTo(DvsError.Ok));
    }

    [Test]
    public void AReceiveOfRequestsIsNotStarvedByOneWayMessages()
    {
        using var node = new TestNode(ringCapacity: Capacity);
        using Endpoint flooder = node.Node.Bind(0, 1);
        using Endpoint server = node.Node.Bind(0, 3);
        using Endpoint client = node.Node.Bind(0, 100);
        int sent = 0;
        while (flooder.Send(3, new Message(sent), DvsTimeout.NoWait) == DvsError.Ok)
        {
            sent++;
            if (sent % Capacity == 0)
            {
                Assert.That(server.ReceiveRequest(out _, DvsTimeout.NoWait), Is.EqualTo(DvsError.Again));
            }
        }
        DvsError callResult = DvsError.Generic;
        Message reply = default;
        var caller = new Thread(() =>
        {
            var m = new Message(77);
            callResult = client.SendRec(3, ref m, Long);
            reply = m;
        });
        caller.Start();
        try
        {
            Assert.That(server.ReceiveRequest(out Message request, DvsTimeout.FromMilliseconds(10_000)), Is.EqualTo(DvsError.Ok));
            Assert.That(request.Type, Is.EqualTo(77));
            Assert.That(server.Reply(100, new Message(78)), Is.EqualTo(DvsError.Ok));
        }
        finally
        {
            if (!caller.Join(TimeSpan.FromSeconds(30)))
            {
                client.Unbind();
                caller.Join();
            }
        }
        Assert.That(callResult, Is.EqualTo(DvsError.Ok));
        Assert.That(reply.Type, Is.EqualTo(78));
        for (int i = 0; i < sent; i++)
        {
            Assert.That(server.Receive(EndpointNumber.Any, out Message m, DvsTimeout.NoWait), Is.EqualTo(DvsError.Ok));
            Assert.That(m.Type, Is.EqualTo(i));
        }
    }
}
