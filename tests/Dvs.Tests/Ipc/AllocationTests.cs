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
            RoundOfCalls(a, b, ref m);
        }
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 10_000; i++)
        {
            RoundOfCalls(a, b, ref m);
        }
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.That(allocated, Is.Zero);
    }

    private static void RoundOfCalls(Endpoint a, Endpoint b, ref Message m)
    {
        a.Send(2, in m, DvsTimeout.NoWait);
        b.Receive(EndpointNumber.Any, out m, DvsTimeout.NoWait);
        a.Notify(2);
        b.Receive(1, out m, DvsTimeout.NoWait);
        b.Send(1, in m, DvsTimeout.NoWait);
        a.Receive(2, out m, DvsTimeout.NoWait);
    }
}
