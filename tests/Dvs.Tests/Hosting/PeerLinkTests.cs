using Dvs.Layout;
using Dvs.Transport;

namespace Dvs.Tests.Hosting;

/// <summary>
/// Issue 12: every message for a peer goes through that peer's link (one bounded, ordered
/// outbox); a peer that is down fails the callers of what was meant for it and counts it; a peer
/// whose window is full holds back only what is meant for it.
/// </summary>
[TestFixture]
public class PeerLinkTests
{
    private const byte Bind = 16;
    private const byte ReplyError = 18;

    [Test]
    public void AForwardToAPeerThatIsDownFailsItsCallerAndIsCounted()
    {
        using var cluster = new ForgedPeerHost("link-down-", peers: 2,
            configure: n => n.PeerDownAfter = TimeSpan.FromMilliseconds(500));
        Node node = cluster.Node;
        ForgedPeer owner = cluster.Peers[0], caller = cluster.Peers[1];
        Announce(node, owner, 5);    // endpoint 5 lives on node 1
        Announce(node, caller, 7);   // endpoint 7 (the caller) on node 2
        caller.PumpUntil(() => node.GetPeerState(1) == "down", "node 1 declared down (it went silent)");

        // Node 2 calls endpoint 5 through node 0 (it believes 5 lives there): node 0 forwards it
        // to node 1, which is down.
        var request = new Message(0) { Source = 7 };
        caller.Send(new MessageHeader(0, SegmentLayout.KindSendRec, 5, 0, 42, 99), request);
        caller.PumpUntil(() => caller.Received.All.Any(r => r.Header.CallKind == ReplyError && r.Header.Destination == 7),
            "the caller gets an error reply");
        (MessageHeader header, Message reply) = caller.Received.All.First(r => r.Header.CallKind == ReplyError);
        Assert.That(header.RequestSequence, Is.EqualTo(42));
        Assert.That(header.SourceIncarnation, Is.EqualTo(99));
        Assert.That((DvsError)reply.Type, Is.EqualTo(DvsError.NotConnected));
        Assert.That(node.GetCounter(NodeCounter.DropPeerDown), Is.EqualTo(1));
    }

    [Test]
    public void APeerWhoseWindowIsFullDoesNotStallAnotherPeer()
    {
        using var cluster = new ForgedPeerHost("link-stall-", peers: 2, configure: n =>
        {
            n.PeerDownAfter = TimeSpan.FromMinutes(1);   // node 1 stays up while it does not answer
            n.WindowFrames = 4;
        });
        Node node = cluster.Node;
        ForgedPeer slow = cluster.Peers[0], other = cluster.Peers[1];
        Announce(node, slow, 5);
        Announce(node, other, 6);

        // Node 1 stops acknowledging; node 2 sends 500 messages for endpoint 5 through node 0,
        // which forwards them to node 1 until its window to node 1 is full.
        int sent = 0;
        var message = new Message(1) { Source = 6 };
        other.PumpUntil(() =>
        {
            while (sent < 500 && other.TrySend(new MessageHeader(0, SegmentLayout.KindSend, 5, 0, 0), message) == SendStatus.Ok)
            {
                sent++;
            }
            return node.GetCounter(NodeCounter.Forwarded) >= 500;
        }, "node 0 took the 500 forwards");

        // A local endpoint's message for node 2 goes out all the same.
        using Endpoint local = node.Bind(0, 3);
        Assert.That(local.Send(6, new Message(77), DvsTimeout.FromMilliseconds(5000)), Is.EqualTo(DvsError.Ok));
        other.PumpUntil(() => other.Received.All.Any(r => r.Header.Destination == 6 && r.Message.Type == 77),
            "the message for node 2 arrives while node 1 is back-pressured");
    }

    /// <summary>The peer announces <paramref name="endpoint"/> as its own; waits until node 0 knows it.</summary>
    internal static void Announce(Node node, ForgedPeer peer, int endpoint)
    {
        peer.Send(new MessageHeader(0, Bind, endpoint, 0, 0), new Message(peer.Session.LocalNode));
        peer.PumpUntil(() => node.WaitForRemote(0, endpoint, DvsTimeout.FromMilliseconds(0)) == DvsError.Ok,
            $"endpoint {endpoint} known on node 0");
    }
}
