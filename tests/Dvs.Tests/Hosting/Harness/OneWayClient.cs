namespace Dvs.Tests.Hosting.Harness;

/// <summary>
/// A one-way sender and its receiver for the harness's properties: the sender sends 0, 1, 2, ...
/// (word 0) with NoWait, trying again later when a ring is full; the receiver, when the test has
/// one, takes what came with NoWait. Both draw from the test's seeded random, so they keep the
/// rings full part of the time. With <paramref name="kvKey"/> the messages are a kv service's
/// Advance of that key to 1, 2, 3... instead (a hosted service executes one-way messages).
/// </summary>
internal sealed class OneWayClient(Endpoint sender, int destination, int count, Random random, long? kvKey = null)
{
    public int Sent { get; private set; }

    public int Refused { get; private set; }

    public List<long> Received { get; } = new();

    public bool AllSent => Sent == count;

    /// <summary>Maybe sends the next message (about one step in <paramref name="oneIn"/>).</summary>
    public void MaybeSend(int oneIn = 2)
    {
        if (Sent == count || random.Next(oneIn) != 0)
        {
            return;
        }
        Message m = kvKey is long key
            ? new Message(Dvs.Services.KeyValueService.Advance) { [0] = key, [1] = Sent + 1 }
            : new Message(1) { [0] = Sent };
        DvsError error = sender.Send(destination, in m, DvsTimeout.NoWait);
        if (error == DvsError.Ok)
        {
            Sent++;
        }
        else if (error is DvsError.Again or DvsError.TimedOut)
        {
            Refused++;   // a full ring: later
        }
        else
        {
            Assert.Fail($"Send of message {Sent} failed: {error}");
        }
    }

    /// <summary>Maybe takes one message at <paramref name="receiver"/> (about one step in <paramref name="oneIn"/>).</summary>
    public void MaybeReceive(Endpoint receiver, int oneIn = 3)
    {
        if (random.Next(oneIn) != 0)
        {
            return;
        }
        if (receiver.Receive(EndpointNumber.Any, out Message m, DvsTimeout.NoWait) == DvsError.Ok)
        {
            Received.Add(m[0]);
        }
    }

    /// <summary>0, 1, ... <c>count</c> - 1.</summary>
    public long[] Expected => Enumerable.Range(0, count).Select(i => (long)i).ToArray();
}
