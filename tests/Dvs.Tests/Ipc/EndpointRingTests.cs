using Dvs.Ipc;
using Dvs.Layout;

namespace Dvs.Tests.Ipc;

/// <summary>
/// The typed ring of the node segment (<see cref="EndpointRing"/>) and its meta word
/// (<see cref="RingMeta"/>): what every producer and consumer of a ring relies on.
/// </summary>
[TestFixture]
public unsafe class EndpointRingTests
{
    [TestCase(SegmentLayout.KindSend, 0)]
    [TestCase(SegmentLayout.KindSendRec, 1)]
    [TestCase(SegmentLayout.KindReply, ReplyWord.SequenceMask)]
    [TestCase(SegmentLayout.KindVCopy, 12345)]
    public void AMetaWordGivesBackItsKindAndRequestSequence(int kind, int sequence)
    {
        int meta = RingMeta.Pack(kind, sequence);
        Assert.That((RingMeta.Kind(meta), RingMeta.RequestSequence(meta)), Is.EqualTo((kind, sequence)));
        Assert.That(RingMeta.IsRequest(meta), Is.EqualTo(kind == SegmentLayout.KindSendRec));
    }

    [Test]
    public void AnInboundRingTakesMessagesUpToItsCapacityAndGivesThemBackInOrderWithTheirWords()
    {
        using var node = new TestNode(ringCapacity: 8);
        using Endpoint owner = node.Node.Bind(0, 3);
        Assert.That(node.Node.Segment.TryGetDc(0, out DcView dc), Is.EqualTo(DvsError.Ok));
        EndpointRing ring = dc.InboundRing(dc.SlotIndexOf(3));
        Assert.That(ring.Capacity, Is.EqualTo(8u));

        for (int i = 0; i < 8; i++)
        {
            var m = new Message(i) { Source = 4 };
            Assert.That(ring.TryOffer(&m, RingMeta.Pack(SegmentLayout.KindSendRec, 100 + i), (ulong)(1000 + i)), Is.True, $"offer {i}");
        }
        var extra = new Message(99) { Source = 4 };
        Assert.That(ring.TryOffer(&extra, RingMeta.Pack(SegmentLayout.KindSend, 0), 0), Is.False, "a full ring refuses");
        Assert.That(ring.Count, Is.EqualTo(8u));

        for (int i = 0; i < 8; i++)
        {
            Message m;
            int meta;
            ulong aux;
            Assert.That(ring.TryPoll(&m, &meta, &aux), Is.True, $"poll {i}");
            Assert.That((m.Type, RingMeta.RequestSequence(meta), aux), Is.EqualTo((i, 100 + i, (ulong)(1000 + i))));
        }
        Message none;
        int noMeta;
        ulong noAux;
        Assert.That(ring.TryPoll(&none, &noMeta, &noAux), Is.False);
        Assert.That(ring.Count, Is.Zero);
    }

    [Test]
    public void TheProxysWaitingFlagIsTakenOnceAfterItWasMarked()
    {
        using var node = new TestNode(ringCapacity: 8);
        using Endpoint owner = node.Node.Bind(0, 3);
        Assert.That(node.Node.Segment.TryGetDc(0, out DcView dc), Is.EqualTo(DvsError.Ok));
        EndpointRing ring = dc.InboundRing(dc.SlotIndexOf(3));

        Assert.That((ring.IsProxyWaiting, ring.TakeProxyWaiting()), Is.EqualTo((false, false)));
        ring.MarkProxyWaiting();
        Assert.That(ring.IsProxyWaiting, Is.True);
        Assert.That(ring.TakeProxyWaiting(), Is.True);
        Assert.That((ring.IsProxyWaiting, ring.TakeProxyWaiting()), Is.EqualTo((false, false)));
    }

    [Test]
    public void ARunOfferPutsInWhatFitsInOrder()
    {
        using var node = new TestNode(ringCapacity: 8);
        using Endpoint owner = node.Node.Bind(0, 3);
        Assert.That(node.Node.Segment.TryGetDc(0, out DcView dc), Is.EqualTo(DvsError.Ok));
        EndpointRing ring = dc.InboundRing(dc.SlotIndexOf(3));
        PolledMessage* run = stackalloc PolledMessage[10];
        for (int i = 0; i < 10; i++)
        {
            run[i] = new PolledMessage { Message = new Message(i) { Source = 4 }, Meta = RingMeta.Pack(SegmentLayout.KindSend, 0) };
        }

        Assert.That(ring.OfferRun(run, 10), Is.EqualTo(8u));
        PolledMessage* taken = stackalloc PolledMessage[10];
        Assert.That(ring.PollRun(taken, 10), Is.EqualTo(8u));
        for (int i = 0; i < 8; i++)
        {
            Assert.That(taken[i].Message.Type, Is.EqualTo(i));
        }
    }
}
