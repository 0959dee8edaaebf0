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
    private const int CallKindMigratePrepare = 32;
    private const int CallKindMigrateReady = 33;
    private const int CallKindMigrateCommit = 34;
    private const int CallKindMigrateCommitted = 36;
    private const int CallKindMigratePrepareDelta = 38;
    private const int CallKindMigrateHandover = 39;
    private const byte ServingFlag = 2;

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
            AnswerPrepares(peer, received, ref answered);
            return start.IsCompleted;
        }, "migr_start");
        Assert.That(start.Result, Is.EqualTo(DvsError.Ok));

        // The service is paused (MIGRATING): 16 fill its ring, the rest find it full (overflow).
        for (int i = 0; i < 40; i++)
        {
            SendOneWay(peer, next++);
        }
        peer.PumpUntil(() => forged.Node.GetCounter(NodeCounter.InboundOverflowed) >= 24, "all 40 delivered: 16 in the ring, 24 in the overflow");

        // migr_commit: COMMIT comes; more messages arrive before the peer confirms (into the overflow,
        // behind the others), then more right behind COMMITTED (they meet the handover).
        Task<DvsError> commit = Task.Run(() => forged.Host.MigrateCommit(0, Server));
        peer.PumpUntil(() => received.Any(r => r.Header.CallKind == CallKindMigrateCommit), "COMMIT");
        (MessageHeader Header, Message Message) commitFrame = received.First(r => r.Header.CallKind == CallKindMigrateCommit);
        for (int i = 0; i < 20; i++)
        {
            SendOneWay(peer, next++);
        }
        peer.PumpUntil(() => forged.Node.GetCounter(NodeCounter.InboundOverflowed) >= 44, "the 20 delivered before COMMITTED (overflow)");
        Reply(peer, commitFrame.Header, CallKindMigrateCommitted, 0, DvsError.Ok);
        for (int i = 0; i < 20; i++)
        {
            SendOneWay(peer, next++);
        }
        peer.PumpUntil(() => received.Count(r => r.Header.CallKind == SegmentLayout.KindSend) == next, "every one-way message forwarded back");
        Reply(peer, commitFrame.Header, CallKindMigrateCommitted, ServingFlag, DvsError.Ok);   // "serving"
        peer.PumpUntil(() => commit.IsCompleted, "migr_commit returns");
        Assert.That(commit.Result, Is.EqualTo(DvsError.Ok));

        int handover = received.FindIndex(r => r.Header.CallKind == CallKindMigrateHandover);
        Assert.That(handover, Is.GreaterThanOrEqualTo(0), "HANDOVER sent");
        long[] order = received.Where(r => r.Header.CallKind == SegmentLayout.KindSend).Select(r => r.Message[0]).ToArray();
        Assert.That(order, Is.EqualTo(Enumerable.Range(0, next).Select(i => (long)i).ToArray()), "each once, in the order sent");
        Assert.That(received.FindIndex(r => r.Header.CallKind == SegmentLayout.KindSend), Is.GreaterThan(handover),
            "held messages follow HANDOVER");
    }

    private static void SendOneWay(ForgedPeer peer, int n)
    {
        var m = new Message(7) { Source = Sender, [0] = n };
        var header = new MessageHeader(0, SegmentLayout.KindSend, Server, 0, 0);
        Message copy = m;
        peer.PumpUntil(() => peer.Session.TrySend(header, System.Runtime.InteropServices.MemoryMarshal.AsBytes(
            new Span<Message>(ref copy))) == SendStatus.Ok, "window");
    }

    /// <summary>PREPARE and PREPARE-DELTA get READY (with the delta flag for the latter), once each.</summary>
    private static void AnswerPrepares(ForgedPeer peer, List<(MessageHeader Header, Message Message)> received, ref int answered)
    {
        for (; answered < received.Count; answered++)
        {
            MessageHeader h = received[answered].Header;
            if (h.CallKind == CallKindMigratePrepare)
            {
                Reply(peer, h, CallKindMigrateReady, 0, DvsError.Ok);
            }
            else if (h.CallKind == CallKindMigratePrepareDelta)
            {
                Reply(peer, h, CallKindMigrateReady, 1, DvsError.Ok);
            }
        }
    }

    private static void Reply(ForgedPeer peer, in MessageHeader to, int kind, byte flags, DvsError status)
    {
        Message m = default;
        m.Source = to.Destination;
        m.Type = (int)status;
        peer.Send(new MessageHeader(to.DcId, (byte)kind, to.Destination, to.Epoch, 0) { Flags = flags }, m);
    }
}
