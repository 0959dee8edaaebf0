using System.Runtime.InteropServices;
using Dvs.Hosting.Links;
using Dvs.Tests.Transport;
using Dvs.Transport;

namespace Dvs.Tests.Hosting.Links;

/// <summary>
/// The peer link on its own, over a <see cref="SessionPair"/> on virtual time: one ordered
/// outbox whatever the producer, bounded, drained through one handler when the peer is down,
/// and bulk frames that never overtake it.
/// </summary>
[TestFixture]
public class PeerLinkOutboxTests
{
    private const long Ms = TimeSpan.TicksPerMillisecond;

    private static SessionPair Pair() =>
        new(new LossyNetwork(7, 0, 0, 0, Ms), new SessionOptions { WindowFrames = 2, HeartbeatInterval = TimeSpan.FromMilliseconds(50), PeerDownAfter = TimeSpan.FromMilliseconds(200) });

    private static MessageHeader HeaderOf(long value) => new(0, 1, 42, 0, (uint)value);

    private static Message MessageOf(long value) => MemoryMarshal.Read<Message>(TransportTestKit.Message(value));

    [Test]
    public void MessagesLeaveInTheOrderTheyWereOfferedWhicheverWayTheyCame()
    {
        SessionPair pair = Pair();
        pair.Handshake();
        var link = new PeerLink(pair.A.Session, 4096);
        for (long i = 0; i < 1000; i++)
        {
            // Alternating: the sender loop's Post (sent at once when nothing waits) and another
            // thread's Enqueue (always behind).
            LinkStatus status = i % 3 == 0 ? link.Enqueue(HeaderOf(i), MessageOf(i)) : link.Post(HeaderOf(i), MessageOf(i));
            Assert.That(status, Is.AnyOf(LinkStatus.Sent, LinkStatus.Queued), $"message {i}");
            if (i % 50 == 0)
            {
                link.Flush((_, in _, in _) => Assert.Fail("nothing is dropped"), 4, out _);
                pair.Tick();
            }
        }
        pair.RunUntil(() =>
        {
            link.Flush((_, in _, in _) => Assert.Fail("nothing is dropped"), 4, out _);
            return pair.B.Sink.Next == 1000;
        }, 10_000 * Ms, "all delivered");
        Assert.That(pair.B.Sink.FirstError, Is.Null);
        Assert.That(link.Queued, Is.Zero);
    }

    [Test]
    public void AFullOutboxRefusesAndHoldsTheRingBackBeforeItIsFull()
    {
        SessionPair pair = Pair();
        pair.Handshake();
        var link = new PeerLink(pair.A.Session, 16);
        long i = 0;
        while (link.Post(HeaderOf(i), MessageOf(i)) == LinkStatus.Sent)
        {
            i++;   // until the session's window is full (nobody polls it)
        }
        Assert.That(link.Queued, Is.EqualTo(1));
        while (link.Queued < 12)
        {
            Assert.That(link.HoldsBackRing, Is.False, $"{link.Queued} queued");
            Assert.That(link.Enqueue(HeaderOf(++i), MessageOf(i)), Is.EqualTo(LinkStatus.Queued));
        }
        Assert.That(link.HoldsBackRing, Is.True, "a quarter of the outbox is kept for forwards and control");
        while (link.Queued < 16)
        {
            Assert.That(link.Enqueue(HeaderOf(++i), MessageOf(i)), Is.EqualTo(LinkStatus.Queued));
        }
        Assert.That(link.Enqueue(HeaderOf(++i), MessageOf(i)), Is.EqualTo(LinkStatus.Full));
        Assert.That(link.Post(HeaderOf(i), MessageOf(i)), Is.EqualTo(LinkStatus.Full));
        Assert.That(link.Queued, Is.EqualTo(16));
    }

    [Test]
    public void MessagesAcceptedAlreadyGoPastAFullOutboxAndLeaveInOrderBehindIt()
    {
        SessionPair pair = Pair();
        pair.Handshake();
        var link = new PeerLink(pair.A.Session, 16);
        long i = 0;
        while (link.Post(HeaderOf(i), MessageOf(i)) == LinkStatus.Sent)
        {
            i++;
        }
        while (link.Enqueue(HeaderOf(++i), MessageOf(i)) == LinkStatus.Queued)
        {
        }
        Assert.That(link.IsFull, Is.True);
        // A handover's held messages: their senders were told they were sent; refusing them would lose them.
        long last = i;
        for (int k = 0; k < 8; k++)
        {
            link.EnqueueAccepted(HeaderOf(last + k), MessageOf(last + k));
        }
        Assert.That(link.Queued, Is.EqualTo(24), "past the bound of 16");
        Assert.That(link.Enqueue(HeaderOf(last + 8), MessageOf(last + 8)), Is.EqualTo(LinkStatus.Full), "others are still refused");
        pair.RunUntil(() =>
        {
            link.Flush((_, in _, in _) => Assert.Fail("nothing is dropped"), 4, out _);
            return pair.B.Sink.Next == last + 8;
        }, 10_000 * Ms, "all delivered");
        Assert.That(pair.B.Sink.FirstError, Is.Null, "in order, none twice");
        Assert.That(link.IsFull, Is.False);
    }

    [Test]
    public void WhenThePeerIsDownEveryQueuedMessageLeavesThroughTheHandler()
    {
        SessionPair pair = Pair();
        pair.Handshake();
        var link = new PeerLink(pair.A.Session, 1024);
        long i = 0;
        while (link.Post(HeaderOf(i), MessageOf(i)) == LinkStatus.Sent)
        {
            i++;
        }
        for (int k = 0; k < 9; k++)
        {
            link.Enqueue(HeaderOf(++i), MessageOf(i));
        }
        pair.PumpB = false;
        pair.RunUntil(() => pair.A.Session.State == PeerState.Down, 5_000 * Ms, "node B declared down");
        var dropped = new List<uint>();
        int moved = link.Flush((PeerLink _, in MessageHeader h, in Message _) => dropped.Add(h.RequestSequence), 4, out int data);
        Assert.That(moved, Is.EqualTo(10));
        Assert.That(data, Is.Zero);
        Assert.That(dropped, Is.EqualTo(Enumerable.Range((int)i - 9, 10).Select(v => (uint)v)), "all, in order");
        Assert.That(link.Queued, Is.Zero);
        Assert.That(link.Post(HeaderOf(++i), MessageOf(i)), Is.EqualTo(LinkStatus.PeerDown));
    }

    [Test]
    public void ABulkFrameWaitsUntilWhatWasQueuedBeforeItLeft()
    {
        SessionPair pair = Pair();
        pair.Handshake();
        var link = new PeerLink(pair.A.Session, 1024);
        long i = 0;
        while (link.Post(HeaderOf(i), MessageOf(i)) == LinkStatus.Sent)
        {
            i++;
        }
        lock (link.Gate)
        {
            Assert.That(link.TrySendBulk(new MessageHeader(0, 21, 42, 0, 0), new byte[64]), Is.EqualTo(SendStatus.BackPressured));
            Assert.That(link.TrySendNow(HeaderOf(i + 1), MessageOf(i + 1)), Is.EqualTo(SendStatus.BackPressured));
        }
        pair.RunUntil(() =>
        {
            link.Flush((_, in _, in _) => Assert.Fail("nothing is dropped"), 4, out _);
            return link.Queued == 0;
        }, 5_000 * Ms, "the outbox drained");
        lock (link.Gate)
        {
            Assert.That(link.TrySendNow(HeaderOf(i + 1), MessageOf(i + 1)), Is.EqualTo(SendStatus.Ok));
        }
    }
}
