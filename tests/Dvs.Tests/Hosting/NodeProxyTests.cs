namespace Dvs.Tests.Hosting;

[TestFixture]
public class NodeProxyTests
{
    private static readonly DvsTimeout Long = DvsTimeout.FromMilliseconds(30_000);

    [Test]
    public void AnEndpointBoundOnOneNodeAppearsOnTheOtherAsRemote()
    {
        using var nodes = new TwoNodes();
        using Endpoint server = nodes.Node0.Bind(0, 1);
        Assert.That(nodes.Node1.WaitForRemote(0, 1, Long), Is.EqualTo(DvsError.Ok));
        EndpointInfo info = nodes.Node1.GetEndpointInfo(0, 1)!;
        Assert.That(info.State, Is.EqualTo("remote"));
        Assert.That(info.OwnerNode, Is.EqualTo(0));
        Assert.That(nodes.Node1.GetPeerState(0), Is.EqualTo("up"));
        Assert.That(nodes.Node1.GetPeerState(1), Is.EqualTo("self"));
    }

    [Test]
    public void SendRecAcrossNodesGetsEveryReply()
    {
        using var nodes = new TwoNodes();
        using Endpoint server = nodes.Node0.Bind(0, 1);
        using Endpoint client = nodes.Node1.Bind(0, 100);
        Assert.That(nodes.Node1.WaitForRemote(0, 1, Long), Is.EqualTo(DvsError.Ok));
        var serverThread = new Thread(() =>
        {
            while (server.ReceiveRequest(out Message rq, Long) == DvsError.Ok)
            {
                if (rq.Type == -1)
                {
                    server.Reply(rq.Source, new Message(-1));
                    return;
                }
                server.Reply(rq.Source, new Message(rq.Type + 1) { [0] = rq[0] * 2 });
            }
        });
        serverThread.Start();
        for (int i = 0; i < 2000; i++)
        {
            var m = new Message(i) { [0] = i };
            Assert.That(client.SendRec(1, ref m, Long), Is.EqualTo(DvsError.Ok), $"call {i}");
            Assert.That(m.Type, Is.EqualTo(i + 1));
            Assert.That(m[0], Is.EqualTo(2L * i));
            Assert.That(m.Source, Is.EqualTo(1));
        }
        var stop = new Message(-1);
        Assert.That(client.SendRec(1, ref stop, Long), Is.EqualTo(DvsError.Ok));
        serverThread.Join();
        Assert.That(nodes.Node0.GetCounter(NodeCounter.MessagesReceived), Is.GreaterThanOrEqualTo(2001));
    }

    [Test]
    public void SendAndNotifyCrossNodes()
    {
        using var nodes = new TwoNodes();
        using Endpoint a = nodes.Node0.Bind(0, 1);
        using Endpoint b = nodes.Node1.Bind(0, 2);
        Assert.That(nodes.Node1.WaitForRemote(0, 1, Long), Is.EqualTo(DvsError.Ok));
        Assert.That(nodes.Node0.WaitForRemote(0, 2, Long), Is.EqualTo(DvsError.Ok));
        for (int i = 0; i < 100; i++)
        {
            Assert.That(b.Send(1, new Message(i), Long), Is.EqualTo(DvsError.Ok));
        }
        for (int i = 0; i < 100; i++)
        {
            Assert.That(a.Receive(2, out Message m, Long), Is.EqualTo(DvsError.Ok));
            Assert.That(m.Type, Is.EqualTo(i), "per-sender order is kept across nodes");
            Assert.That(m.Source, Is.EqualTo(2));
        }
        Assert.That(b.Notify(1), Is.EqualTo(DvsError.Ok));
        Assert.That(a.Receive(EndpointNumber.Any, out Message n, Long), Is.EqualTo(DvsError.Ok));
        Assert.That(n.IsNotify, Is.True);
        Assert.That(n.Source, Is.EqualTo(2));
    }

    [Test]
    public void ABurstLargerThanEveryRingArrivesCompleteAndInOrder()
    {
        // 40,000 messages, sent before the receiver takes any: more than the sender's outbound ring
        // (16,384 at the default ring capacity: the sender waits for room, woken by the proxy's
        // batched drain) and the receiver's ring (4,096) together, so at least 19,520 wait in the
        // receiving proxy's overflow queue, moved in when the receiver wakes the proxy.
        const int Count = 40_000;
        using var nodes = new TwoNodes();
        using Endpoint a = nodes.Node0.Bind(0, 1);
        using Endpoint b = nodes.Node1.Bind(0, 2);
        Assert.That(nodes.Node1.WaitForRemote(0, 1, Long), Is.EqualTo(DvsError.Ok));
        long overflowedBefore = nodes.Node0.GetCounter(NodeCounter.InboundOverflowed);
        for (int i = 0; i < Count; i++)
        {
            Assert.That(b.Send(1, new Message(i), Long), Is.EqualTo(DvsError.Ok));
        }
        for (int i = 0; i < Count; i++)
        {
            Assert.That(a.Receive(2, out Message m, Long), Is.EqualTo(DvsError.Ok));
            if (m.Type != i)
            {
                Assert.Fail($"message {m.Type} arrived where {i} was due");
            }
        }
        Assert.That(a.Receive(EndpointNumber.Any, out _, DvsTimeout.NoWait), Is.EqualTo(DvsError.Again), "nothing twice");
        Assert.That(nodes.Node0.GetCounter(NodeCounter.InboundOverflowed) - overflowedBefore, Is.GreaterThan(0),
            "the burst went through the overflow queue");
    }

    [Test]
    public void InterleavedMessagesForTwoEndpointsKeepEachOnesOrderAcrossRuns()
    {
        // The receiving host hands a peer's messages on in runs, one run per endpoint in a row:
        // here every run is short (the destination alternates in patterns), a notify ends a run,
        // and both endpoints must still see their own messages once each, in order.
        const int Count = 6_000;
        using var nodes = new TwoNodes();
        using Endpoint a = nodes.Node0.Bind(0, 1);
        using Endpoint c = nodes.Node0.Bind(0, 3);
        using Endpoint b = nodes.Node1.Bind(0, 2);
        Assert.That(nodes.Node1.WaitForRemote(0, 1, Long), Is.EqualTo(DvsError.Ok));
        Assert.That(nodes.Node1.WaitForRemote(0, 3, Long), Is.EqualTo(DvsError.Ok));
        int toA = 0, toC = 0;
        for (int i = 0; i < Count; i++)
        {
            bool first = (i / (1 + i % 5)) % 2 == 0;   // runs of 1..5, mixed
            int destination = first ? 1 : 3;
            int sequence = first ? toA++ : toC++;
            Assert.That(b.Send(destination, new Message(sequence), Long), Is.EqualTo(DvsError.Ok));
            if (i % 997 == 0)
            {
                Assert.That(b.Notify(destination), Is.EqualTo(DvsError.Ok));
            }
        }
        foreach ((Endpoint e, int expected) in new[] { (a, toA), (c, toC) })
        {
            bool notified = false;   // notifies from one source coalesce; they have no place in the order
            for (int i = 0; i < expected;)
            {
                Assert.That(e.Receive(2, out Message m, Long), Is.EqualTo(DvsError.Ok));
                if (m.IsNotify)
                {
                    notified = true;
                    continue;
                }
                if (m.Type != i)
                {
                    Assert.Fail($"endpoint {e.Number}: message {m.Type} arrived where {i} was due");
                }
                i++;
            }
            if (!notified)
            {
                Assert.That(e.Receive(EndpointNumber.Any, out Message n, Long), Is.EqualTo(DvsError.Ok), "the notify");
                Assert.That(n.IsNotify, Is.True);
            }
            Assert.That(e.Receive(EndpointNumber.Any, out _, DvsTimeout.NoWait), Is.EqualTo(DvsError.Again), "nothing twice");
        }
    }

    [Test]
    public void UnbindOnOneNodeFailsAWaitingCallerOnTheOther()
    {
        using var nodes = new TwoNodes();
        Endpoint server = nodes.Node0.Bind(0, 1);
        using Endpoint client = nodes.Node1.Bind(0, 100);
        Assert.That(nodes.Node1.WaitForRemote(0, 1, Long), Is.EqualTo(DvsError.Ok));
        var call = Task.Run(() =>
        {
            var m = new Message(1);
            return client.SendRec(1, ref m, Long);
        });
        Assert.That(server.ReceiveRequest(out _, Long), Is.EqualTo(DvsError.Ok));
        server.Dispose();
        Assert.That(call.GetAwaiter().GetResult(), Is.EqualTo(DvsError.DstDied));
    }

    [Test]
    public void APeerThatStopsIsDeclaredDownAndCallsFailInsteadOfHanging()
    {
        var nodes = new TwoNodes();
        try
        {
            using Endpoint server = nodes.Node0.Bind(0, 1);
            using Endpoint client = nodes.Node1.Bind(0, 100);
            Assert.That(nodes.Node1.WaitForRemote(0, 1, Long), Is.EqualTo(DvsError.Ok));
            var call = Task.Run(() =>
            {
                var m = new Message(1);
                return client.SendRec(1, ref m, Long);
            });
            Assert.That(server.ReceiveRequest(out _, Long), Is.EqualTo(DvsError.Ok));
            nodes.Node0.Dispose();
            nodes.Host0.Dispose();   // node0 goes silent
            Assert.That(call.GetAwaiter().GetResult(), Is.EqualTo(DvsError.NotConnected));
            Assert.That(nodes.Node1.GetPeerState(0), Is.EqualTo("down"));
            var again = new Message(1);
            Assert.That(client.SendRec(1, ref again, Long), Is.EqualTo(DvsError.NotConnected));
        }
        finally
        {
            nodes.Node1.Dispose();
            nodes.Host1.Dispose();
        }
    }

    [Test]
    public void AnEndpointOfOneDcCannotReachAnotherDc()
    {
        using var nodes = new TwoNodes(dcs: 2);
        using Endpoint inDc0 = nodes.Node0.Bind(0, 1);
        using Endpoint inDc1 = nodes.Node1.Bind(1, 2);
        Assert.That(nodes.Node0.WaitForRemote(1, 2, Long), Is.EqualTo(DvsError.Ok));
        // Endpoint 2 exists only in DC 1: from DC 0 it is not bound.
        Assert.That(inDc0.Send(2, new Message(1), DvsTimeout.NoWait), Is.EqualTo(DvsError.NotBind));
    }
}

[TestFixture]
public class RemoteVCopyTests
{
    private static readonly DvsTimeout Long = DvsTimeout.FromMilliseconds(30_000);

    [TestCase(1, 1 << 20)]
    [TestCase(2, 3_000_017)]
    [TestCase(3, 100)]
    public unsafe void VCopyMovesBytesBetweenEndpointsOnDifferentNodes(int seed, int size)
    {
        using var nodes = new TwoNodes();
        using Endpoint a = nodes.Node0.Bind(0, 1);
        using Endpoint b = nodes.Node1.Bind(0, 2);
        Assert.That(nodes.Node0.WaitForRemote(0, 2, Long), Is.EqualTo(DvsError.Ok));
        Assert.That(nodes.Node1.WaitForRemote(0, 1, Long), Is.EqualTo(DvsError.Ok));
        byte[] source = GC.AllocateArray<byte>(size, pinned: true);
        byte[] pushed = GC.AllocateArray<byte>(size, pinned: true);
        byte[] pulled = GC.AllocateArray<byte>(size, pinned: true);
        new Random(seed).NextBytes(source);
        fixed (byte* s = source, d1 = pushed, d2 = pulled)
        {
            // Push: the requester owns the source; the bytes go to the other node.
            Assert.That(a.VCopy(1, (nint)s, 2, (nint)d1, size), Is.EqualTo(DvsError.Ok));
            // Pull: the requester owns the destination; the other node reads the source.
            Assert.That(b.VCopy(1, (nint)s, 2, (nint)d2, size), Is.EqualTo(DvsError.Ok));
        }
        Assert.That(pushed.AsSpan().SequenceEqual(source), Is.True, "pushed bytes");
        Assert.That(pulled.AsSpan().SequenceEqual(source), Is.True, "pulled bytes");
    }

    [Test]
    public unsafe void ARemoteVCopyFromABadAddressFailsWithFault()
    {
        using var nodes = new TwoNodes();
        using Endpoint a = nodes.Node0.Bind(0, 1);
        using Endpoint b = nodes.Node1.Bind(0, 2);
        Assert.That(nodes.Node1.WaitForRemote(0, 1, Long), Is.EqualTo(DvsError.Ok));
        byte[] target = GC.AllocateArray<byte>(4096, pinned: true);
        fixed (byte* d = target)
        {
            Assert.That(b.VCopy(1, 8, 2, (nint)d, 4096), Is.EqualTo(DvsError.Fault));
        }
    }
}
