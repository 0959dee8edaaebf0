using CsCheck;
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
            ForgedTarget.AnswerPrepares(peer, received, ref answered);
            return start.IsCompleted;
        }, "migr_start");
        Assert.That(start.Result, Is.EqualTo(DvsError.Ok));
        for (int i = 0; i < before; i++)
        {
            SendNumbered(peer, next++);
        }

        Task<DvsError> commit = Task.Run(() => forged.Host.MigrateCommit(0, Server));
        peer.PumpUntil(() => received.Any(r => r.Header.CallKind == ForgedTarget.Commit), "COMMIT");
        MessageHeader commitHeader = received.First(r => r.Header.CallKind == ForgedTarget.Commit).Header;
        for (int i = 0; i < during; i++)
        {
            SendNumbered(peer, next++);
        }
        switch (outcome)
        {
            case Outcome.Confirm:
                ForgedTarget.Reply(peer, commitHeader, ForgedTarget.Committed, 0, DvsError.Ok);
                break;
            case Outcome.Refuse:
                ForgedTarget.Reply(peer, commitHeader, ForgedTarget.Committed, 0, DvsError.HostRestarted);   // NOCOPY
                break;
            case Outcome.OperatorRollback:
                Task<DvsError> rollback = Task.Run(() => forged.Host.MigrateRollback(0, Server));
                peer.PumpUntil(() => rollback.IsCompleted, "migr_rollback");
                Assert.That(rollback.Result, Is.EqualTo(DvsError.Ok));
                ForgedTarget.Reply(peer, commitHeader, ForgedTarget.Committed, 0, DvsError.Ok);   // late: changes nothing
                break;
        }
        for (int i = 0; i < after; i++)
        {
            SendNumbered(peer, next++);
        }
        long[] expected = Enumerable.Range(0, next).Select(i => (long)i).ToArray();
        if (outcome == Outcome.Confirm)
        {
            peer.PumpUntil(() => received.Count(r => r.Header.CallKind == SegmentLayout.KindSend) == next, "every message forwarded");
            ForgedTarget.Reply(peer, commitHeader, ForgedTarget.Committed, ForgedTarget.ServingFlag, DvsError.Ok);
            peer.PumpUntil(() => commit.IsCompleted, "migr_commit returns");
            Assert.That(commit.Result, Is.EqualTo(DvsError.Ok));
            int handover = received.FindIndex(r => r.Header.CallKind == ForgedTarget.Handover);
            Assert.That(handover, Is.GreaterThanOrEqualTo(0), "HANDOVER");
            Assert.That(received.Take(handover).Any(r => r.Header.CallKind == SegmentLayout.KindSend), Is.False, "nothing forwarded before HANDOVER");
            Assert.That(Forwarded(received), Is.EqualTo(expected), $"at the target, once each, in order ({before}/{during}/{after})");
            Assert.That(forged.Node.GetEndpointInfo(0, Server)!.State, Is.EqualTo("remote"));
            return;
        }
        peer.PumpUntil(() => commit.IsCompleted, "migr_commit returns");
        Assert.That(commit.Result, Is.EqualTo(outcome == Outcome.Refuse ? DvsError.HostRestarted : DvsError.Canceled));
        peer.PumpUntil(() => received.Any(r => r.Header.CallKind == ForgedTarget.Abort), "ABORT");
        Assert.That(ExecutedOutOfOrder(peer, service, next), Is.EqualTo(0),
            $"at the source, once each, in order ({before}/{during}/{after}, {outcome})");
        Assert.That(Forwarded(received), Is.Empty, "nothing went to the target");
        EndpointInfo info = forged.Node.GetEndpointInfo(0, Server)!;
        Assert.That((info.State, info.Epoch), Is.EqualTo(("local", 2u)), "served here again at epoch + 2");
    }

    private static long[] Forwarded(List<(MessageHeader Header, Message Message)> received) =>
        received.Where(r => r.Header.CallKind == SegmentLayout.KindSend).Select(r => r.Message[1] - 1).ToArray();

    /// <summary>One-way message number <paramref name="n"/> (0, 1, ...): the kv's Advance of the sender's key to n + 1.</summary>
    private static void SendNumbered(ForgedPeer peer, int n)
    {
        var m = new Message(KeyValueService.Advance) { Source = Sender, [0] = Sender, [1] = n + 1 };
        var header = new MessageHeader(0, SegmentLayout.KindSend, Server, 0, 0);
        peer.PumpUntil(() => peer.TrySend(header, m) == SendStatus.Ok, "window");
    }

    /// <summary>
    /// Once the source's service executed <paramref name="count"/> of the sender's one-way messages
    /// (its key reads count), how many of them came out of order (the kv counts them).
    /// </summary>
    private static long ExecutedOutOfOrder(ForgedPeer peer, ServiceHost service, int count)
    {
        var kv = (KeyValueService)service.Service;
        long last = -1;
        long outOfOrder = -1;
        peer.PumpUntil(() =>
        {
            Assert.That(service.Pause(TimeSpan.FromSeconds(10)), Is.True);
            last = kv[Sender];
            outOfOrder = kv[KeyValueService.OutOfOrderKey(Sender)];
            service.Resume(null);
            return last >= count;
        }, "every message executed at the source");
        Assert.That(last, Is.EqualTo(count), "the last number executed at the source");
        return outOfOrder;
    }
}
