using Dvs.Interop;

namespace Dvs.Tests.Ipc;

/// <summary>Every kind of bad input gets its own DVS error, never a crash or a hang.</summary>
[TestFixture]
public class BadInputTests
{
    [Test]
    public void BindingInADcThatDoesNotExistOrDoesNotRunHereFails()
    {
        using var node = new TestNode();
        Assert.That(node.Node.TryBind(32, 1, out _), Is.EqualTo(DvsError.BadDcId));
        Assert.That(node.Node.TryBind(-1, 1, out _), Is.EqualTo(DvsError.BadDcId));
        Assert.That(node.Node.TryBind(3, 1, out _), Is.EqualTo(DvsError.DcNotRun));
        var ex = Assert.Throws<DvsException>(() => node.Node.Bind(3, 1));
        Assert.That(ex!.Error, Is.EqualTo(DvsError.DcNotRun));
        Assert.That(ex.Message, Does.Contain("DC 3"));
    }

    [Test]
    public void OutOfRangeEndpointsAreRejected()
    {
        using var node = new TestNode(nrProcs: 10, nrTasks: 5, nrSysProcs: 8);
        Assert.That(node.Node.TryBind(0, 10, out _), Is.EqualTo(DvsError.BadProc));
        Assert.That(node.Node.TryBind(0, -6, out _), Is.EqualTo(DvsError.BadProc));
        using Endpoint ep = node.Node.Bind(0, 1);
        Assert.That(ep.Send(10, new Message(1), DvsTimeout.NoWait), Is.EqualTo(DvsError.BadProc));
        Assert.That(ep.Send(EndpointNumber.Any, new Message(1), DvsTimeout.NoWait), Is.EqualTo(DvsError.BadProc));
        Assert.That(ep.Receive(-6, out _, DvsTimeout.NoWait), Is.EqualTo(DvsError.BadProc));
    }

    [Test]
    public void UnboundDestinationAndWrongGenerationAreRejected()
    {
        using var node = new TestNode();
        using Endpoint ep = node.Node.Bind(0, 1);
        Assert.That(ep.Send(2, new Message(1), DvsTimeout.NoWait), Is.EqualTo(DvsError.NotBind));
        var m = new Message(1);
        Assert.That(ep.SendRec(2, ref m, DvsTimeout.NoWait), Is.EqualTo(DvsError.NotBind));
        Assert.That(ep.Notify(2), Is.EqualTo(DvsError.NotBind));
        using Endpoint two = node.Node.Bind(0, 2);
        int otherGeneration = EndpointNumber.Make(3, 2);
        Assert.That(ep.Send(otherGeneration, new Message(1), DvsTimeout.NoWait), Is.EqualTo(DvsError.Endpoint));
    }

    [Test]
    public void TheSameSlotCannotBeBoundTwice()
    {
        using var node = new TestNode();
        using Endpoint ep = node.Node.Bind(0, 1);
        Assert.That(node.Node.TryBind(0, 1, out _), Is.EqualTo(DvsError.SlotUsed));
    }

    [Test]
    public void UserSlotsMayOnlySendRec()
    {
        using var node = new TestNode(nrSysProcs: 64);
        using Endpoint server = node.Node.Bind(0, 1);
        using Endpoint user = node.Node.Bind(0, 100); // slot 135 >= nr_sysprocs
        Assert.That(user.IsPrivileged, Is.False);
        Assert.That(user.Send(1, new Message(1), DvsTimeout.NoWait), Is.EqualTo(DvsError.CallDenied));
        Assert.That(user.Receive(EndpointNumber.Any, out _, DvsTimeout.NoWait), Is.EqualTo(DvsError.CallDenied));
        Assert.That(user.ReceiveRequest(out _, DvsTimeout.NoWait), Is.EqualTo(DvsError.CallDenied));
        Assert.That(user.Notify(1), Is.EqualTo(DvsError.CallDenied));
        Assert.That(user.Reply(1, new Message(1)), Is.EqualTo(DvsError.CallDenied));
        Assert.That(user.VCopy(100, 0, 1, 0, 1), Is.EqualTo(DvsError.CallDenied));
        // SendRec is allowed to user slots: the request reaches the server and its reply comes back.
        // The server thread stops before the node goes away, whatever the outcome.
        using var stop = new CancellationTokenSource();
        Task<int> served = Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                DvsError e = server.ReceiveRequest(out Message rq, DvsTimeout.FromMilliseconds(100));
                if (e == DvsError.TimedOut)
                {
                    continue;
                }
                Assert.That(e, Is.EqualTo(DvsError.Ok));
                Assert.That(server.Reply(rq.Source, new Message(rq.Type + 1)), Is.EqualTo(DvsError.Ok));
                return rq.Source;
            }
            return 0;
        });
        var m = new Message(41);
        try
        {
            Assert.That(user.SendRec(1, ref m, DvsTimeout.FromMilliseconds(30_000)), Is.EqualTo(DvsError.Ok));
            Assert.That(m.Type, Is.EqualTo(42), "the server's reply");
        }
        finally
        {
            stop.Cancel();
            served.Wait(TimeSpan.FromSeconds(30));
        }
        Assert.That(served.Result, Is.EqualTo(user.Number));
    }

    [Test]
    public void ReplyToAnEndpointThatIsNotWaitingFails()
    {
        using var node = new TestNode();
        using Endpoint server = node.Node.Bind(0, 1);
        using Endpoint client = node.Node.Bind(0, 2);
        Assert.That(server.Reply(2, new Message(1)), Is.EqualTo(DvsError.ProcSts));

        // A client that timed out is no longer waiting: a late reply is refused, not delivered
        // to its next request.
        var m = new Message(1);
        Assert.That(client.SendRec(1, ref m, DvsTimeout.FromMilliseconds(1)), Is.EqualTo(DvsError.TimedOut));
        Assert.That(server.ReceiveRequest(out Message rq, DvsTimeout.NoWait), Is.EqualTo(DvsError.Ok));
        Assert.That(server.Reply(rq.Source, new Message(2)), Is.EqualTo(DvsError.ProcSts));
    }

    [Test]
    public void AFullRingWithNoWaitReturnsAgainAndNothingIsLost()
    {
        using var node = new TestNode(ringCapacity: 8);
        using Endpoint a = node.Node.Bind(0, 1);
        using Endpoint b = node.Node.Bind(0, 2);
        for (int i = 0; i < 8; i++)
        {
            Assert.That(a.Send(2, new Message(i), DvsTimeout.NoWait), Is.EqualTo(DvsError.Ok));
        }
        Assert.That(a.Send(2, new Message(8), DvsTimeout.NoWait), Is.EqualTo(DvsError.Again));
        Assert.That(a.Send(2, new Message(8), DvsTimeout.FromMilliseconds(1)), Is.EqualTo(DvsError.TimedOut));
        for (int i = 0; i < 8; i++)
        {
            Assert.That(b.Receive(EndpointNumber.Any, out Message m, DvsTimeout.NoWait), Is.EqualTo(DvsError.Ok));
            Assert.That(m.Type, Is.EqualTo(i));
        }
        Assert.That(a.Send(2, new Message(8), DvsTimeout.NoWait), Is.EqualTo(DvsError.Ok));
    }

    [Test]
    public void UseAfterUnbindFails()
    {
        using var node = new TestNode();
        Endpoint a = node.Node.Bind(0, 1);
        using Endpoint b = node.Node.Bind(0, 2);
        Assert.That(a.Unbind(), Is.EqualTo(DvsError.Ok));
        Assert.That(a.Send(2, new Message(1), DvsTimeout.NoWait), Is.EqualTo(DvsError.NotBind));
        Assert.That(a.Receive(EndpointNumber.Any, out _, DvsTimeout.NoWait), Is.EqualTo(DvsError.NotBind));
        Assert.That(a.Unbind(), Is.EqualTo(DvsError.NotBind));
        Assert.That(b.Send(1, new Message(1), DvsTimeout.NoWait), Is.EqualTo(DvsError.NotBind));
        a.Dispose();
    }

    [Test]
    public void AnAdministrativeUnbindWakesAWaitingCallerWithAnError()
    {
        using var node = new TestNode();
        using Endpoint server = node.Node.Bind(0, 1);
        using Endpoint client = node.Node.Bind(0, 2);
        var call = Task.Run(() =>
        {
            var m = new Message(1);
            return client.SendRec(1, ref m, DvsTimeout.FromMilliseconds(60_000));
        });
        Assert.That(server.ReceiveRequest(out _, DvsTimeout.FromMilliseconds(60_000)), Is.EqualTo(DvsError.Ok));
        Assert.That(node.Node.Unbind(0, 1), Is.EqualTo(DvsError.Ok));
        Assert.That(call.GetAwaiter().GetResult(), Is.EqualTo(DvsError.DstDied));
    }

    [Test]
    public unsafe void ASegmentOfAnotherLayoutVersionIsRefusedWithAClearError()
    {
        using var node = new TestNode();
        // Simulate a host built against another layout: bump the version in the live header.
        using Node raw = node.Host.Attach();
        var header = raw.Segment.Header;
        uint saved = header->LayoutVersion;
        header->LayoutVersion = saved + 1;
        try
        {
            var ex = Assert.Throws<DvsException>(() => Node.Attach(node.Name));
            Assert.That(ex!.Message, Does.Contain("layout version " + (saved + 1)).And.Contain("this build uses " + saved));
            header->Magic = 0x1234;
            ex = Assert.Throws<DvsException>(() => Node.Attach(node.Name));
            Assert.That(ex!.Message, Does.Contain("not a Dvs node segment"));
        }
        finally
        {
            header->LayoutVersion = saved;
            header->Magic = Dvs.Layout.SegmentLayout.Magic;
        }
    }

    [Test]
    public void AttachingToANodeThatIsNotRunningFailsClearly()
    {
        var ex = Assert.Throws<DvsException>(() => Node.Attach("no-such-node-" + Guid.NewGuid().ToString("N")[..8]));
        Assert.That(ex!.Message, Does.Contain("is the node host running"));
        Assert.Throws<DvsException>(() => Node.Attach("bad/name"));
    }

    [Test]
    public void ASecondHostForTheSameNodeIsRefused()
    {
        using var node = new TestNode();
        var ex = Assert.Throws<DvsException>(() => NodeHost.Start(new NodeHostOptions { NodeName = node.Name }));
        Assert.That(ex!.Error, Is.EqualTo(DvsError.NodeBusy));
    }

    [Test]
    public void BadHostOptionsAreRefused()
    {
        string name = "t" + Guid.NewGuid().ToString("N")[..12];
        Assert.Throws<DvsException>(() => NodeHost.Start(new NodeHostOptions { NodeName = name, RingCapacity = 100 }));
        Assert.Throws<DvsException>(() => NodeHost.Start(new NodeHostOptions
        {
            NodeName = name, Dcs = new List<DcOptions> { new() { NrTasks = 36 } },
        }));
        Assert.Throws<DvsException>(() => NodeHost.Start(new NodeHostOptions
        {
            NodeName = name, Dcs = new List<DcOptions> { new() { DcId = 1 }, new() { DcId = 1 } },
        }));
    }

    [Test]
    public void VCopyWithABadAddressIsAFaultNotACrash()
    {
        using var node = new TestNode();
        using Endpoint a = node.Node.Bind(0, 1);
        using var child = new ChildProcess("server", node.Name, "0", "2");
        child.ExpectLine("ready");
        byte[] buffer = GC.AllocateArray<byte>(64, pinned: true);
        unsafe
        {
            fixed (byte* p = buffer)
            {
                Assert.That(a.VCopy(1, (nint)p, 2, 8, 64), Is.EqualTo(DvsError.Fault));
            }
        }
        Assert.That(Shim.ErrCode(), Is.Not.Zero);
    }
}
