using Dvs.Transport;
using NUnit.Framework;
using static Dvs.Tests.Transport.TransportTestKit;

namespace Dvs.Tests.Transport;

/// <summary>Selective acks, driven frame by frame without a network.</summary>
public sealed class ReliableSessionAckTest
{
    private const long Ms = TimeSpan.TicksPerMillisecond;

    private sealed class NullSink : ISessionSink
    {
        public long Delivered;

        public bool Accepting = true;

        public bool TryDeliver(ReliableSession session, in MessageHeader header, ReadOnlySpan<byte> message)
        {
            if (!Accepting)
            {
                return false;
            }
            Assert.That(MessageValue(message), Is.EqualTo(Delivered));
            Delivered++;
            return true;
        }

        public void OnPeerStateChanged(ReliableSession session, PeerState state)
        {
        }

        public void OnPeerReset(ReliableSession session, ulong newIncarnation, int discardedMessages)
        {
        }
    }

    private readonly SessionOptions _options = new()
    {
        InitialRto = TimeSpan.FromMilliseconds(100),
        HeartbeatInterval = TimeSpan.FromSeconds(1),
        PeerDownAfter = TimeSpan.FromSeconds(10),
    };

    private readonly DropCounters _drops = new();
    private ReliableSession _a = null!;
    private ReliableSession _b = null!;
    private NullSink _sinkB = null!;
    private FrameReader _readerA = null!;
    private FrameReader _readerB = null!;

    [SetUp]
    public void SetUp()
    {
        _sinkB = new NullSink();
        _a = new ReliableSession(_options, Credentials, NodeA, NodeB, 1, new NullSink(), _drops, 0);
        _b = new ReliableSession(_options, Credentials, NodeB, NodeA, 2, _sinkB, _drops, 0);
        _readerA = new FrameReader(Credentials, NodeA, KnownAB, _options.Mtu, _drops);
        _readerB = new FrameReader(Credentials, NodeB, KnownAB, _options.Mtu, _drops);
        // Handshake: A's hello, B's answer.
        Deliver(Poll(_a, 0), _readerB, _b, 0);
        Deliver(Poll(_b, 0), _readerA, _a, 0);
        Assert.That(_a.PeerIncarnation, Is.EqualTo(2));
        Assert.That(_b.PeerIncarnation, Is.EqualTo(1));
    }

    private List<byte[]> Poll(ReliableSession s, long now)
    {
        var batch = new DatagramBatch(64, _options.Mtu);
        s.Poll(now, batch);
        return Enumerable.Range(0, batch.Count).Select(i => batch[i].ToArray()).ToList();
    }

    private static DropReason Deliver(IEnumerable<byte[]> frames, FrameReader reader, ReliableSession to, long now)
    {
        DropReason last = DropReason.None;
        foreach (byte[] f in frames)
        {
            Assert.That(reader.TryRead(f, out FrameHeader h), Is.EqualTo(DropReason.None));
            last = to.OnFrame(h, f, now);
        }
        return last;
    }

    private FrameHeader Decode(byte[] frame, FrameReader reader)
    {
        Assert.That(reader.TryRead(frame, out FrameHeader h), Is.EqualTo(DropReason.None));
        return h;
    }

    [Test]
    public void OnlyTheLostFrameIsRetransmitted()
    {
        int perFrame = _a.MessagesPerFrame;
        for (int i = 0; i < 3 * perFrame; i++)
        {
            Assert.That(_a.TrySend(new MessageHeader(0, 1, 5, 0, (uint)i), Message(i)), Is.EqualTo(SendStatus.Ok));
        }
        List<byte[]> data = Poll(_a, 1 * Ms);
        Assert.That(data.Select(f => Decode(f, _readerB).Sequence), Is.EqualTo(new ulong[] { 0, 1, 2 }));

        // Frame 0 is lost; 1 and 2 arrive and wait for it.
        Deliver(data.Skip(1), _readerB, _b, 2 * Ms);
        Assert.That(_sinkB.Delivered, Is.Zero);
        List<byte[]> ack = Poll(_b, 2 * Ms);
        FrameHeader ackHeader = Decode(ack.Single(), _readerA);
        Assert.That(ackHeader.Kind, Is.EqualTo(FrameKind.Ack));
        Assert.That(ackHeader.CumulativeAck, Is.Zero);
        Assert.That(ackHeader.SelectiveAcks, Is.EqualTo(0b11UL), "sequences 1 and 2");
        Deliver(ack, _readerA, _a, 3 * Ms);

        // After the timeout, only frame 0 goes again.
        List<byte[]> resent = Poll(_a, 1 * Ms + _a.RetransmissionTimeout);
        Assert.That(resent.Select(f => Decode(f, _readerB)).Where(h => h.Kind == FrameKind.Data).Select(h => h.Sequence),
            Is.EqualTo(new ulong[] { 0 }));
        Deliver(resent, _readerB, _b, 200 * Ms);
        Assert.That(_sinkB.Delivered, Is.EqualTo(3 * perFrame));

        // The cumulative ack frees the window.
        Deliver(Poll(_b, 200 * Ms), _readerA, _a, 201 * Ms);
        Assert.That(_a.FramesInFlight, Is.Zero);
    }

    [Test]
    public void LoneFrameAckRidesOnTheReplyOrGoesAfterTheAckDelay()
    {
        long delay = _options.AckDelay.Ticks;
        _a.TrySend(new MessageHeader(0, 1, 5, 0, 0), Message(0));
        Deliver(Poll(_a, Ms), _readerB, _b, 2 * Ms);
        Assert.That(Poll(_b, 2 * Ms), Is.Empty, "no ack of its own yet");
        Assert.That(_b.NextDeadline(2 * Ms), Is.EqualTo(2 * Ms + delay));

        // The reply carries the ack.
        _b.TrySend(new MessageHeader(0, 1, 6, 0, 0), Message(0));
        FrameHeader reply = Decode(Poll(_b, 2 * Ms).Single(), _readerA);
        Assert.That((reply.Kind, reply.CumulativeAck), Is.EqualTo((FrameKind.Data, 1UL)));

        // Without a reply, a lone ack goes once the delay is over.
        _a.TrySend(new MessageHeader(0, 1, 5, 0, 0), Message(1));
        Deliver(Poll(_a, 3 * Ms), _readerB, _b, 4 * Ms);
        Assert.That(Poll(_b, 4 * Ms + delay - 1), Is.Empty);
        FrameHeader ack = Decode(Poll(_b, 4 * Ms + delay).Single(), _readerA);
        Assert.That((ack.Kind, ack.CumulativeAck), Is.EqualTo((FrameKind.Ack, 2UL)));
    }

    [Test]
    public void EverySecondFrameIsAcknowledgedAtOnce()
    {
        for (int i = 0; i < 2 * _a.MessagesPerFrame; i++)
        {
            _a.TrySend(new MessageHeader(0, 1, 5, 0, 0), Message(i));
        }
        Deliver(Poll(_a, Ms), _readerB, _b, 2 * Ms);
        FrameHeader ack = Decode(Poll(_b, 2 * Ms).Single(), _readerA);
        Assert.That((ack.Kind, ack.CumulativeAck), Is.EqualTo((FrameKind.Ack, 2UL)));
    }

    [Test]
    public void ClosedPeerWindowHoldsFramesBackWithoutBusyPolling()
    {
        // B holds two frames and its owner takes nothing; A's own window is much larger.
        var small = new SessionOptions { WindowFrames = 2, HeartbeatInterval = _options.HeartbeatInterval, PeerDownAfter = _options.PeerDownAfter };
        _b = new ReliableSession(small, Credentials, NodeB, NodeA, 3, _sinkB, _drops, 0);
        _sinkB.Accepting = false;
        Deliver(Poll(_b, 0), _readerA, _a, 0); // B's new incarnation resets A's session
        Deliver(Poll(_a, 0), _readerB, _b, 0);

        for (int i = 0; i < 2 * _a.MessagesPerFrame; i++)
        {
            _a.TrySend(new MessageHeader(0, 1, 5, 0, 0), Message(i));
        }
        Deliver(Poll(_a, Ms), _readerB, _b, 2 * Ms);
        List<byte[]> acks = Poll(_b, 2 * Ms);
        FrameHeader ack = Decode(acks.Single(), _readerA);
        Assert.That((ack.CumulativeAck, ack.ReceiveWindow), Is.EqualTo((2UL, 0u)), "both held, no room left");
        Deliver(acks, _readerA, _a, 2 * Ms);
        Assert.That(_a.FramesInFlight, Is.Zero);

        // More messages wait in A's open frame; nothing may go out, and nothing is due now.
        Assert.That(_a.TrySend(new MessageHeader(0, 1, 5, 0, 0), Message(99)), Is.EqualTo(SendStatus.Ok));
        Assert.That(Poll(_a, 4 * Ms).Select(f => Decode(f, _readerB).Kind), Has.No.Member(FrameKind.Data));
        Assert.That(_a.NextDeadline(4 * Ms), Is.GreaterThan(4 * Ms));

        // The owner drains: B reopens its window and A sends at once.
        _sinkB.Accepting = true;
        List<byte[]> update = Poll(_b, 5 * Ms);
        Assert.That(Decode(update.Single(), _readerA).ReceiveWindow, Is.EqualTo(2u));
        Deliver(update, _readerA, _a, 5 * Ms);
        Assert.That(_a.NextDeadline(5 * Ms), Is.EqualTo(5 * Ms));
        Assert.That(Poll(_a, 5 * Ms).Select(f => Decode(f, _readerB).Kind), Has.Member(FrameKind.Data));
    }

    [Test]
    public void DuplicateFrameIsDeliveredOnceAndAcknowledgedAgain()
    {
        _a.TrySend(new MessageHeader(0, 1, 5, 0, 0), Message(0));
        List<byte[]> data = Poll(_a, Ms);
        Assert.That(Deliver(data, _readerB, _b, 2 * Ms), Is.EqualTo(DropReason.None));
        Poll(_b, 2 * Ms);
        Assert.That(Deliver(data, _readerB, _b, 3 * Ms), Is.EqualTo(DropReason.Duplicate));
        Assert.That(_sinkB.Delivered, Is.EqualTo(1));
        Assert.That(_drops[DropReason.Duplicate], Is.EqualTo(1));
        Assert.That(Poll(_b, 3 * Ms).Select(f => Decode(f, _readerA).Kind), Is.EqualTo(new[] { FrameKind.Ack }));
    }

    [Test]
    public void FrameFromAnotherPeerIsNotTakenBySession()
    {
        var readerC = new FrameReader(Credentials, NodeB, KnownAB | (1UL << 5), _options.Mtu, _drops);
        byte[] fromC = DataFrame(1, source: 5);
        Assert.That(readerC.TryRead(fromC, out FrameHeader h), Is.EqualTo(DropReason.None));
        Assert.That(_b.OnFrame(h, fromC, Ms), Is.EqualTo(DropReason.UnknownNode));
        Assert.That(_sinkB.Delivered, Is.Zero);
    }

    [Test]
    public void DataFrameFarBeyondTheWindowIsDroppedAndNotAcknowledged()
    {
        _a.TrySend(new MessageHeader(0, 1, 5, 0, 0), Message(0));
        byte[] frame = Poll(_a, Ms).Single();
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(frame.AsSpan(FrameDescriptor.SequenceOffset),
            (ulong)_options.WindowFrames);
        Reseal(frame);
        Assert.That(Deliver([frame], _readerB, _b, 2 * Ms), Is.EqualTo(DropReason.OutOfWindow));
        FrameHeader ack = Decode(Poll(_b, 2 * Ms).Single(), _readerA);
        Assert.That((ack.CumulativeAck, ack.SelectiveAcks), Is.EqualTo((0UL, 0UL)));
    }

    [Test]
    public void TryAckSendsOnlyAnAckAndOnlyWhenOneIsDue()
    {
        long delay = _options.AckDelay.Ticks;
        var acks = new DatagramBatch(4, FrameDescriptor.MinFrameLength);
        _a.TrySend(new MessageHeader(0, 1, 5, 0, 0), Message(0));
        Deliver(Poll(_a, Ms), _readerB, _b, 2 * Ms);
        // A lone frame's ack waits for a reply to carry it.
        Assert.That(_b.TryAck(2 * Ms, acks), Is.False);
        Assert.That(acks.Count, Is.Zero);
        // B has a message of its own queued: TryAck must not send it, only the ack once due.
        _b.TrySend(new MessageHeader(0, 1, 6, 0, 0), Message(0));
        Assert.That(_b.TryAck(2 * Ms + delay, acks), Is.True);
        FrameHeader ack = Decode(acks[0].ToArray(), _readerA);
        Assert.That((acks.Count, ack.Kind, ack.CumulativeAck), Is.EqualTo((1, FrameKind.Ack, 1UL)));
        Assert.That(_b.TryAck(2 * Ms + delay, acks), Is.False, "acknowledged already");
        FrameHeader data = Decode(Poll(_b, 3 * Ms).Single(), _readerA);
        Assert.That(data.Kind, Is.EqualTo(FrameKind.Data), "the message still goes with the next Poll");

        // Every second frame is acknowledged at once.
        int perFrame = _a.MessagesPerFrame;
        for (int i = 0; i < 2 * perFrame; i++)
        {
            _a.TrySend(new MessageHeader(0, 1, 5, 0, (uint)i), Message(1 + i));
        }
        Deliver(Poll(_a, 4 * Ms), _readerB, _b, 5 * Ms);
        acks.Clear();
        Assert.That(_b.TryAck(5 * Ms, acks), Is.True);
        Assert.That(Decode(acks[0].ToArray(), _readerA).CumulativeAck, Is.EqualTo(3UL));
    }
}
