namespace Dvs.Tests.Ipc;

/// <summary>The hot path allocates nothing per message.</summary>
[TestFixture]
public class AllocationTests
{
    [Test]
    public void SendReceiveReplyAndNotifyAllocateNothingPerMessage()
    {
        using var node = new TestNode();
        using Endpoint a = node.Node.Bind(0, 1);
        using Endpoint b = node.Node.Bind(0, 2);
        var m = new Message(1);
        // Warm up (JIT, tiering) before measuring.
        for (int i = 0; i < 1000; i++)
        {
            Assert.That(RoundOfCalls(a, b, ref m, i), Is.Null, $"warm-up round {i}");
        }
        string? failure = null;
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 10_000 && failure is null; i++)
        {
            failure = RoundOfCalls(a, b, ref m, i);
        }
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        // Every call must have done its work: a call that failed at once allocates nothing either.
        Assert.That(failure, Is.Null);
        Assert.That(allocated, Is.Zero);
    }

    /// <summary>One send, notify and reply-like send with their receives; null when every call
    /// returned Ok with the expected message, else what went wrong (a constant string: no allocation).</summary>
    private static string? RoundOfCalls(Endpoint a, Endpoint b, ref Message m, int round)
    {
        m = new Message(round) { [0] = round };
        if (a.Send(2, in m, DvsTimeout.NoWait) != DvsError.Ok)
        {
            return "a.Send failed";
        }
        if (b.Receive(EndpointNumber.Any, out m, DvsTimeout.NoWait) != DvsError.Ok)
        {
            return "b.Receive(Any) failed";
        }
        if (m.Source != a.Number || m.Type != round || m[0] != round)
        {
            return "b received another message than a sent";
        }
        if (a.Notify(2) != DvsError.Ok)
        {
            return "a.Notify failed";
        }
        if (b.Receive(1, out m, DvsTimeout.NoWait) != DvsError.Ok)
        {
            return "b.Receive(1) did not get the notification";
        }
        m = new Message(round + 1);
        if (b.Send(1, in m, DvsTimeout.NoWait) != DvsError.Ok)
        {
            return "b.Send failed";
        }
        if (a.Receive(2, out m, DvsTimeout.NoWait) != DvsError.Ok)
        {
            return "a.Receive(2) failed";
        }
        return m.Source == b.Number && m.Type == round + 1 ? null : "a received another message than b sent";
    }
}
