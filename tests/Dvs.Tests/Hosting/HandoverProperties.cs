using CsCheck;
using Dvs.Ipc;
using Dvs.Layout;
using Dvs.Services;
using Dvs.Transport;

namespace Dvs.Tests.Hosting;

/// <summary>
/// Property: whatever the schedule (how many one-way messages arrive before the commit, while the
/// source waits for COMMITTED, and after it) and whatever the outcome (the target confirms, refuses
/// as a restarted target does, or the operator rolls back while the source waits), every message
/// of the sender arrives exactly once and in the order sent: at the target after a commit, at the
/// source after a rollback, never at both; a rollback serves at epoch + 2 and a late COMMITTED
/// changes nothing. The node host is real; the target is a forged peer that plays the schedule.
/// </summary>
[TestFixture]
[NonParallelizable]
public class HandoverProperties
{
    private const int Server = 10;
    private const int Sender = 11;
    private const int CallKindMigratePrepare = 32;
    private const int CallKindMigrateReady = 33;
    private const int CallKindMigrateCommit = 34;
    private const int CallKindMigrateAbort = 35;
    private const int CallKindMigrateCommitted = 36;
    private const int CallKindMigratePrepareDelta = 38;
    private const int CallKindMigrateHandover = 39;
    private const byte ServingFlag = 2;

    private enum Outcome
    {
        Confirm,
        Refuse,
        OperatorRollback,
    }

    [Test]
    public void EveryOneWayMessageArrivesOnceAndInOrderOnTheNodeThatServesAfterTheCommitOrTheRollback()
    {
        Gen.Select(Gen.Int[0, 24], Gen.Int[0, 20], Gen.Int[0, 16], Gen.Int[0, 2])
            .Sample((before, during, after, outcome) => Run(before, during, after, (Outcome)outcome), iter: 12, threads: 1);
    }

    private static void Run(int before, int during, int after, Outcome outcome)
    {
        using var forged = new ForgedPeerHost("hp", ringCapacity: 16);
        forged.Host.RegisterServiceKind(KeyValueService.KindName, () => new KeyValueService());
        ServiceHost service = forged.Host.HostService(0, Server, KeyValueService.KindName);
        ForgedPeer peer = forged.Peer;
        var received = peer.Received.All;
        int next = 0;

        Task<DvsError> start = Task.Run(() => forged.Host.MigrateStart(0, Server, 1));
        int answered = 0;
        peer.PumpUntil(() =>
        {
            AnswerPrepares(peer, received, ref answered);
            return start.IsCompleted;
        }, "migr_start");
        Assert.That(start.Result, Is.EqualTo(DvsError.Ok));
        for (int i = 0; i < before; i++)
        {
            SendOneWay(peer, next++);
        }

        Task<DvsError> commit = Task.Run(() => forged.Host.MigrateCommit(0, Server));
        peer.PumpUntil(() => received.Any(r => r.Header.CallKind == CallKindMigrateCommit), "COMMIT");
        MessageHeader commitHeader = received.First(r => r.Header.CallKind == CallKindMigrateCommit).Header;
        for (int i = 0; i < during; i++)
        {
            SendOneWay(peer, next++);
        }
        switch (outcome)
        {
            case Outcome.Confirm:
                Reply(peer, commitHeader, CallKindMigrateCommitted, 0, DvsError.Ok);
                break;
            case Outcome.Refuse:
                Reply(peer, commitHeader, CallKindMigrateCommitted, 0, DvsError.HostRestarted);   // NOCOPY
                break;
            case Outcome.OperatorRollback:
                Task<DvsError> rollback = Task.Run(() => forged.Host.MigrateRollback(0, Server));
                peer.PumpUntil(() => rollback.IsCompleted, "migr_rollback");
                Assert.That(rollback.Result, Is.EqualTo(DvsError.Ok));
                Reply(peer, commitHeader, CallKindMigrateCommitted, 0, DvsError.Ok);   // late: changes nothing
                break;
        }
        for (int i = 0; i < after; i++)
        {
            SendOneWay(peer, next++);
        }
        long[] expected = Enumerable.Range(0, next).Select(i => (long)i).ToArray();
        if (outcome == Outcome.Confirm)
        {
            peer.PumpUntil(() => received.Count(r => r.Header.CallKind == SegmentLayout.KindSend) == next, "every message forwarded");
            Reply(peer, commitHeader, CallKindMigrateCommitted, ServingFlag, DvsError.Ok);
            peer.PumpUntil(() => commit.IsCompleted, "migr_commit returns");
            Assert.That(commit.Result, Is.EqualTo(DvsError.Ok));
            int handover = received.FindIndex(r => r.Header.CallKind == CallKindMigrateHandover);
            Assert.That(handover, Is.GreaterThanOrEqualTo(0), "HANDOVER");
            Assert.That(received.Take(handover).Any(r => r.Header.CallKind == SegmentLayout.KindSend), Is.False, "nothing forwarded before HANDOVER");
            Assert.That(Forwarded(received), Is.EqualTo(expected), $"at the target, once each, in order ({before}/{during}/{after})");
            Assert.That(forged.Node.GetEndpointInfo(0, Server)!.State, Is.EqualTo("remote"));
            return;
        }
        peer.PumpUntil(() => commit.IsCompleted, "migr_commit returns");
        Assert.That(commit.Result, Is.EqualTo(outcome == Outcome.Refuse ? DvsError.HostRestarted : DvsError.Canceled));
        peer.PumpUntil(() => received.Any(r => r.Header.CallKind == CallKindMigrateAbort), "ABORT");
        List<HeldMessage> kept = Collect(peer, service, next);
        Assert.That(kept.Where(h => h.Message.Source == Sender).Select(h => h.Message[0]).ToArray(), Is.EqualTo(expected),
            $"at the source, once each, in order ({before}/{during}/{after}, {outcome})");
        Assert.That(Forwarded(received), Is.Empty, "nothing went to the target");
        EndpointInfo info = forged.Node.GetEndpointInfo(0, Server)!;
        Assert.That((info.State, info.Epoch), Is.EqualTo(("local", 2u)), "served here again at epoch + 2");
    }

    private static long[] Forwarded(List<(MessageHeader Header, Message Message)> received) =>
        received.Where(r => r.Header.CallKind == SegmentLayout.KindSend).Select(r => r.Message[0]).ToArray();

    /// <summary>The one-way messages queued at the source's service (it serves requests only), once all arrived.</summary>
    private static List<HeldMessage> Collect(ForgedPeer peer, ServiceHost service, int count)
    {
        var held = new List<HeldMessage>();
        peer.PumpUntil(() =>
        {
            Assert.That(service.Pause(TimeSpan.FromSeconds(10)), Is.True);
            held.Clear();
            service.Endpoint.DrainHeld(held);
            service.Resume(held.ToList());
            return held.Count(h => h.Message.Source == Sender) >= count;
        }, "every message at the source's endpoint");
        return held;
    }

    private static void SendOneWay(ForgedPeer peer, int n)
    {
        var m = new Message(7) { Source = Sender, [0] = n };
        var header = new MessageHeader(0, SegmentLayout.KindSend, Server, 0, 0);
        peer.PumpUntil(() => peer.Session.TrySend(header, System.Runtime.InteropServices.MemoryMarshal.AsBytes(
            new Span<Message>(ref m))) == SendStatus.Ok, "window");
    }

    private static void AnswerPrepares(ForgedPeer peer, List<(MessageHeader Header, Message Message)> received, ref int answered)
    {
        for (; answered < received.Count; answered++)
        {
            MessageHeader h = received[answered].Header;
            if (h.CallKind is CallKindMigratePrepare or CallKindMigratePrepareDelta)
            {
                Reply(peer, h, CallKindMigrateReady, h.CallKind == CallKindMigratePrepareDelta ? (byte)1 : (byte)0, DvsError.Ok);
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
