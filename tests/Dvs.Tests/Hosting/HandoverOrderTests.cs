using Dvs.Layout;
using Dvs.Services;
using Dvs.Transport;

namespace Dvs.Tests.Hosting;

/// <summary>
/// The handover moves what a migrating endpoint held in arrival order: its ring, then the inbound
/// overflow (messages that found the ring full), then what arrived while the handover ran. The
/// target is a forged peer, which is also the sender, so the test decides exactly when each
/// message arrives relative to COMMIT and COMMITTED (issue 12: the commit drained only the ring,
/// and a newer message from the same sender overtook the overflow).
/// </summary>
[TestFixture]
[NonParallelizable]
public class HandoverOrderTests
{
    private const int Server = 10;
    private const int Sender = 11;

    [Test]
    public void OneWayMessagesFromTheRingTheOverflowAndDuringTheCommitReachTheTargetInTheOrderSent()
    {
        using var forged = new ForgedPeerHost("ho", ringCapacity: 16);
        forged.Host.RegisterServiceKind(KeyValueService.KindName, () => new KeyValueService());
        forged.Host.HostService(0, Server, KeyValueService.KindName);
        ForgedPeer peer = forged.Peer;
        var received = peer.Received.All;
        int next = 0;

        // migr_start: the peer plays a target that restores whatever comes and answers READY.
        Task<DvsError> start = Task.Run(() => forged.Host.MigrateStart(0, Server, 1));
        int answered = 0;
        peer.PumpUntil(() =>
        {
            ForgedTarget.AnswerPrepares(peer, received, ref answered);
            return start.IsCompleted;
        }, "migr_start");
        Assert.That(start.Result, Is.EqualTo(DvsError.Ok));

        // The service is paused (MIGRATING): 16 fill its ring, the rest find it full (overflow).
        for (int i = 0; i < 40; i++)
        {
            ForgedTarget.SendOneWay(peer, Sender, Server, next++);
        }
        peer.PumpUntil(() => forged.Node.GetCounter(NodeCounter.InboundOverflowed) >= 24, "all 40 delivered: 16 in the ring, 24 in the overflow");

        // migr_commit: COMMIT comes; more messages arrive before the peer confirms (into the overflow,
        // behind the others), then more right behind COMMITTED (they meet the handover).
        Task<DvsError> commit = Task.Run(() => forged.Host.MigrateCommit(0, Server));
        peer.PumpUntil(() => received.Any(r => r.Header.CallKind == ForgedTarget.Commit), "COMMIT");
        (MessageHeader Header, Message Message) commitFrame = received.First(r => r.Header.CallKind == ForgedTarget.Commit);
        for (int i = 0; i < 20; i++)
        {
            ForgedTarget.SendOneWay(peer, Sender, Server, next++);
        }
        peer.PumpUntil(() => forged.Node.GetCounter(NodeCounter.InboundOverflowed) >= 44, "the 20 delivered before COMMITTED (overflow)");
        ForgedTarget.Reply(peer, commitFrame.Header, ForgedTarget.Committed, 0, DvsError.Ok);
        for (int i = 0; i < 20; i++)
        {
            ForgedTarget.SendOneWay(peer, Sender, Server, next++);
        }
        peer.PumpUntil(() => received.Count(r => r.Header.CallKind == SegmentLayout.KindSend) == next, "every one-way message forwarded back");
        ForgedTarget.Reply(peer, commitFrame.Header, ForgedTarget.Committed, ForgedTarget.ServingFlag, DvsError.Ok);   // "serving"
        peer.PumpUntil(() => commit.IsCompleted, "migr_commit returns");
        Assert.That(commit.Result, Is.EqualTo(DvsError.Ok));

        int handover = received.FindIndex(r => r.Header.CallKind == ForgedTarget.Handover);
        Assert.That(handover, Is.GreaterThanOrEqualTo(0), "HANDOVER sent");
        long[] order = received.Where(r => r.Header.CallKind == SegmentLayout.KindSend).Select(r => r.Message[0]).ToArray();
        Assert.That(order, Is.EqualTo(Enumerable.Range(0, next).Select(i => (long)i).ToArray()), "each once, in the order sent");
        Assert.That(received.FindIndex(r => r.Header.CallKind == SegmentLayout.KindSend), Is.GreaterThan(handover),
            "held messages follow HANDOVER");
    }

    /// <summary>
    /// The target's session window is full and its outbox (8 here) cannot take what the handover
    /// holds (16 in the ring, 44 in the overflow): those messages were accepted by this node, so
    /// they pass the outbox's bound behind HANDOVER instead of being refused (counted DropQueueFull
    /// and lost, before PeerLink.EnqueueAccepted), and reach the target in the order sent.
    /// </summary>
    [Test]
    public void AHandoverLargerThanTheTargetsOutboxLosesNothing()
    {
        using var forged = new ForgedPeerHost("hf", ringCapacity: 16, configure: n =>
        {
            n.PeerOutboxCapacity = 8;
            n.WindowFrames = 2;
        });
        forged.Host.RegisterServiceKind(KeyValueService.KindName, () => new KeyValueService());
        forged.Host.HostService(0, Server, KeyValueService.KindName);
        ForgedPeer peer = forged.Peer;
        var received = peer.Received.All;
        int next = 0;
        Task<DvsError> start = Task.Run(() => forged.Host.MigrateStart(0, Server, 1));
        int answered = 0;
        peer.PumpUntil(() =>
        {
            ForgedTarget.AnswerPrepares(peer, received, ref answered);
            return start.IsCompleted;
        }, "migr_start");
        Assert.That(start.Result, Is.EqualTo(DvsError.Ok));
        for (int i = 0; i < 60; i++)
        {
            ForgedTarget.SendOneWay(peer, Sender, Server, next++);
        }
        peer.PumpUntil(() => forged.Node.GetCounter(NodeCounter.InboundOverflowed) >= 44, "all 60 delivered: 16 in the ring, 44 in the overflow");
        Task<DvsError> commit = Task.Run(() => forged.Host.MigrateCommit(0, Server));
        peer.PumpUntil(() => received.Any(r => r.Header.CallKind == ForgedTarget.Commit), "COMMIT");
        (MessageHeader Header, Message Message) commitFrame = received.First(r => r.Header.CallKind == ForgedTarget.Commit);

        // COMMITTED, and the peer stops reading and acknowledging: the handover meets a full window.
        ForgedTarget.Reply(peer, commitFrame.Header, ForgedTarget.Committed, 0, DvsError.Ok);
        peer.SendPending();
        Assert.That(SpinWait.SpinUntil(() => forged.Node.GetEndpointInfo(0, Server)?.State == "remote", TimeSpan.FromSeconds(30)), Is.True,
            "the source handed over (its slot is a stub of the target)");
        peer.PumpUntil(() => received.Count(r => r.Header.CallKind == SegmentLayout.KindSend) == next, "every held message reaches the target");
        ForgedTarget.Reply(peer, commitFrame.Header, ForgedTarget.Committed, ForgedTarget.ServingFlag, DvsError.Ok);
        peer.PumpUntil(() => commit.IsCompleted, "migr_commit returns");
        Assert.That(commit.Result, Is.EqualTo(DvsError.Ok));
        Assert.That(forged.Node.GetCounter(NodeCounter.DropQueueFull), Is.Zero, "nothing refused by the full outbox");
        long[] order = received.Where(r => r.Header.CallKind == SegmentLayout.KindSend).Select(r => r.Message[0]).ToArray();
        Assert.That(order, Is.EqualTo(Enumerable.Range(0, next).Select(i => (long)i).ToArray()), "each once, in the order sent");
        Assert.That(received.FindIndex(r => r.Header.CallKind == SegmentLayout.KindSend),
            Is.GreaterThan(received.FindIndex(r => r.Header.CallKind == ForgedTarget.Handover)), "held messages follow HANDOVER");
    }
}
