using Dvs.Layout;
using Dvs.Transport;

namespace Dvs.Tests.Hosting;

/// <summary>
/// The sender's half of the FENCE (docs/protocol.md, "The fence"): a node whose remote endpoint
/// changes owner sends FENCE to the old owner behind everything it routed there, then sends to the
/// new owner directly; a node that knew no owner sends its FENCE straight to the owner it learns.
/// The host is that node (node 0, a local sender); node 1 (the old owner) and node 2 (the new one)
/// are forged peers, so the test sees exactly what leaves on each link and in which order.
/// </summary>
[TestFixture]
[NonParallelizable]
public class FenceSenderTests
{
    private const int Server = 10;
    private const int Sender = 11;

    [Test]
    public void AnOwnerChangeSendsAFenceToTheOldOwnerBehindWhatWentThereAndLaterMessagesGoDirect()
    {
        using var forged = new ForgedPeerHost("fs", peers: 2);
        ForgedPeer oldOwner = forged.Peers[0];
        ForgedPeer newOwner = forged.Peers[1];
        using Endpoint sender = forged.Node.Bind(0, Sender);

        Announce(oldOwner, owner: 1, epoch: 3);   // it moved before (epoch 0 never did: no FENCE for it)
        oldOwner.PumpUntil(() => forged.Node.GetEndpointInfo(0, Server) is { State: "remote", OwnerNode: 1 }, "the endpoint known on node 1");
        oldOwner.PumpUntil(() => Fences(oldOwner).Count == 1, "a FENCE straight to node 1 (no owner known before)");
        for (int i = 0; i < 10; i++)
        {
            Assert.That(sender.Send(Server, new Message(7) { [0] = i }, DvsTimeout.FromMilliseconds(5000)), Is.EqualTo(DvsError.Ok));
        }
        oldOwner.PumpUntil(() => Sends(oldOwner).Count == 10, "10 Sends to node 1");

        Announce(newOwner, owner: 2, epoch: 4);   // node 2 serves it now (its BIND after the handover)
        newOwner.PumpUntil(() => forged.Node.GetEndpointInfo(0, Server) is { State: "remote", OwnerNode: 2 }, "the endpoint known on node 2");
        for (int i = 10; i < 20; i++)
        {
            Assert.That(sender.Send(Server, new Message(7) { [0] = i }, DvsTimeout.FromMilliseconds(5000)), Is.EqualTo(DvsError.Ok));
        }
        newOwner.PumpUntil(() => Sends(newOwner).Count == 10, "10 Sends to node 2");
        oldOwner.PumpUntil(() => Fences(oldOwner).Count == 2, "a FENCE to node 1");

        var toOld = oldOwner.Received.All.Where(r => r.Header.CallKind is SegmentLayout.KindSend or CallKind.Fence).ToList();
        Assert.That(toOld.Select(r => r.Header.CallKind == CallKind.Fence ? -1 : r.Message[0]),
            Is.EqualTo(new long[] { -1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, -1 }), "node 1: its FENCE, Sends 0..9, then the FENCE of the switch");
        (MessageHeader header, Message fence) = toOld[^1];
        Assert.That((header.Destination, fence[0], fence[1]), Is.EqualTo((Server, 0L, 4L)), "FENCE(endpoint, from node 0, epoch 4)");
        Assert.That(Sends(newOwner).Select(m => m[0]), Is.EqualTo(Enumerable.Range(10, 10).Select(i => (long)i)), "node 2: the later Sends, directly");
        Assert.That(Fences(newOwner), Is.Empty, "node 2 gets no FENCE from node 0 directly: it comes through node 1");
    }

    private static void Announce(ForgedPeer peer, int owner, uint epoch)
    {
        var m = new Message { Source = Server, Type = owner };
        peer.Send(new MessageHeader(0, CallKind.Bind, Server, epoch, 0), m);
    }

    private static List<Message> Sends(ForgedPeer peer) =>
        peer.Received.All.Where(r => r.Header.CallKind == SegmentLayout.KindSend && r.Header.Destination == Server).Select(r => r.Message).ToList();

    private static List<Message> Fences(ForgedPeer peer) =>
        peer.Received.All.Where(r => r.Header.CallKind == CallKind.Fence).Select(r => r.Message).ToList();
}
