using Dvs.Layout;
using Dvs.Transport;

namespace Dvs.Tests.Hosting;

/// <summary>
/// Issue 12: every queue of the node proxy is bounded. Past the bound the proxy pushes back (a
/// peer's session waits) or refuses with an error to the caller and counts it; it never grows
/// without end.
/// </summary>
[TestFixture]
public class ProxyQueueBoundsTests
{
    private const byte VCopyRequest = 20;
    private const byte VCopyComplete = 23;

    [Test]
    public void ForwardsForAPeerWhoseOutboxIsFullPushBackTheSendingPeer()
    {
        using var cluster = new ForgedPeerHost("bound-fwd-", peers: 2, configure: n =>
        {
            n.PeerDownAfter = TimeSpan.FromMinutes(1);
            n.WindowFrames = 4;
            n.PeerOutboxCapacity = 256;
        });
        Node node = cluster.Node;
        ForgedPeer slow = cluster.Peers[0], other = cluster.Peers[1];
        PeerLinkTests.Announce(node, slow, 5);
        PeerLinkTests.Announce(node, other, 6);

        // Node 1 stops acknowledging; node 2 keeps sending for endpoint 5 (forwarded to node 1).
        int sent = 0;
        var message = new Message(1) { Source = 6 };
        other.PumpUntil(() =>
        {
            while (sent < 5000 && other.TrySend(new MessageHeader(0, SegmentLayout.KindSend, 5, 0, 0), message) == SendStatus.Ok)
            {
                sent++;
            }
            return node.GetCounter(NodeCounter.InboundBackPressure) > 0;
        }, "node 0 holds node 2 back");
        Assert.That(node.GetCounter(NodeCounter.Forwarded), Is.LessThanOrEqualTo(256 + 4 * 64),
            "at most the outbox and the window were taken");
    }

    [Test]
    public void CopiesBeyondTheBoundFailWithAgainAndAreCounted()
    {
        using var cluster = new ForgedPeerHost("bound-copy-", configure: n => n.CopyJobLimit = 4);
        Node node = cluster.Node;
        ForgedPeer peer = cluster.Peer;
        cluster.Host.CopyPauseAt = 0;   // the copies served here wait: they pile up
        using Endpoint source = node.Bind(0, 2);
        PeerLinkTests.Announce(node, peer, 1);   // the destination lives on node 1

        for (uint sequence = 1; sequence <= 5; sequence++)
        {
            var request = new Message(0) { Source = 9 };
            request[0] = 0x1000;   // source address
            request[1] = 1;        // destination endpoint
            request[2] = 0x2000;   // destination address
            request[3] = 64;       // bytes
            request[4] = 1;        // the requester's node
            peer.Send(new MessageHeader(0, VCopyRequest, 2, 0, sequence), request);
        }
        peer.PumpUntil(() => peer.Received.All.Any(r => r.Header.CallKind == VCopyComplete), "a copy refused");
        (MessageHeader header, Message reply) = peer.Received.All.Single(r => r.Header.CallKind == VCopyComplete);
        Assert.That(header.RequestSequence, Is.EqualTo(5));
        Assert.That((DvsError)reply.Type, Is.EqualTo(DvsError.Again));
        Assert.That(node.GetCounter(NodeCounter.DropQueueFull), Is.EqualTo(1));
    }
}
