using Dvs.Tests.Hosting;

namespace Dvs.Tests.Ipc;

/// <summary>
/// Issue 11.3: a notification is marked outside the application's type space, and names its
/// source by endpoint number; no application message can pass for one.
/// </summary>
[TestFixture]
public class NotificationMarkingTests
{
    private static readonly DvsTimeout Long = DvsTimeout.FromMilliseconds(30_000);

    [TestCase(0x1000)]
    [TestCase(0x1005)]
    [TestCase(0x1FFF)]
    public void AnApplicationMessageIsNeverANotification(int type)
    {
        using var node = new TestNode();
        using Endpoint a = node.Node.Bind(0, 1);
        using Endpoint b = node.Node.Bind(0, 2);
        Assert.That(a.Send(2, new Message(type), DvsTimeout.NoWait), Is.EqualTo(DvsError.Ok));
        Assert.That(b.Receive(EndpointNumber.Any, out Message got, DvsTimeout.NoWait), Is.EqualTo(DvsError.Ok));
        Assert.Multiple(() =>
        {
            Assert.That(got.Type, Is.EqualTo(type));
            Assert.That(got.IsNotify, Is.False);
        });
    }

    [Test]
    public void ANotificationCarriesTheSourceEndpointNumberAndTheReservedType()
    {
        using var node = new TestNode();
        using Endpoint a = node.Node.Bind(0, 1);
        int source = EndpointNumber.Make(3, 7);   // generation 3: the number differs from the slot
        using Endpoint b = node.Node.Bind(0, source);
        Assert.That(b.Notify(1), Is.EqualTo(DvsError.Ok));
        Assert.That(a.Receive(EndpointNumber.Any, out Message n, DvsTimeout.NoWait), Is.EqualTo(DvsError.Ok));
        AssertNotificationFrom(source, n);
    }

    [Test]
    public void ANotificationFromAnotherNodeIsMarkedTheSameWay()
    {
        using var nodes = new TwoNodes();
        using Endpoint a = nodes.Node0.Bind(0, 1);
        int source = EndpointNumber.Make(2, 9);
        using Endpoint b = nodes.Node1.Bind(0, source);
        Assert.That(nodes.Node1.WaitForRemote(0, 1, Long), Is.EqualTo(DvsError.Ok));
        Assert.That(b.Notify(1), Is.EqualTo(DvsError.Ok));
        Assert.That(a.Receive(source, out Message n, Long), Is.EqualTo(DvsError.Ok));
        AssertNotificationFrom(source, n);
    }

    [Test]
    public void TheReservedTypeCannotBeSent()
    {
        using var node = new TestNode();
        using Endpoint a = node.Node.Bind(0, 1);
        using Endpoint b = node.Node.Bind(0, 2);
        using Endpoint client = node.Node.Bind(0, 100);
        var forged = new Message(Message.NotifyType);
        Assert.Multiple(() =>
        {
            Assert.That(a.Send(2, in forged, DvsTimeout.NoWait), Is.EqualTo(DvsError.Invalid));
            Assert.That(client.SendRec(2, ref forged, DvsTimeout.FromMilliseconds(100)), Is.EqualTo(DvsError.Invalid));
            Assert.That(b.Receive(EndpointNumber.Any, out _, DvsTimeout.NoWait), Is.EqualTo(DvsError.Again), "nothing was delivered");
        });
    }

    [Test]
    public void TheReservedTypeCannotBeAReply()
    {
        using var node = new TestNode();
        using Endpoint server = node.Node.Bind(0, 1);
        using Endpoint client = node.Node.Bind(0, 100);
        DvsError callerResult = DvsError.Generic;
        Message reply = default;
        var caller = new Thread(() =>
        {
            var m = new Message(5);
            callerResult = client.SendRec(1, ref m, Long);
            reply = m;
        });
        caller.Start();
        try
        {
            Assert.That(server.ReceiveRequest(out _, Long), Is.EqualTo(DvsError.Ok));
            Assert.That(server.Reply(100, new Message(Message.NotifyType)), Is.EqualTo(DvsError.Invalid));
            Assert.That(server.Reply(100, new Message(6)), Is.EqualTo(DvsError.Ok));
        }
        finally
        {
            if (!caller.Join(TimeSpan.FromSeconds(30)))
            {
                client.Unbind();
                caller.Join();
            }
        }
        Assert.That(callerResult, Is.EqualTo(DvsError.Ok));
        Assert.That(reply.Type, Is.EqualTo(6));
    }

    private static void AssertNotificationFrom(int source, Message n) => Assert.Multiple(() =>
    {
        Assert.That(n.IsNotify, Is.True);
        Assert.That(n.Type, Is.EqualTo(Message.NotifyType));
        Assert.That(n.Source, Is.EqualTo(source));
    });
}
