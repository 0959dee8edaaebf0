using CsCheck;

namespace Dvs.Tests.Hosting.Harness;

/// <summary>
/// Issue 12, on the node-host harness (real node hosts, stepped on virtual time over a lossy
/// in-memory network): one-way messages from a client on one node to an endpoint on another
/// arrive exactly once and in the order sent, whatever the loss, duplication, reordering and
/// schedule, with rings small enough that they fill (the sender is refused and retries; the
/// receiving proxy overflows and pushes back).
/// </summary>
[TestFixture]
[NonParallelizable]
public class HarnessOneWayProperties
{
    private const int Server = 10;
    private const int Client = 11;

    [Test]
    public void EveryOneWayMessageArrivesOnceAndInOrderUnderLossDuplicationReorderingAndFullRings()
    {
        Gen.Select(Gen.Int, Gen.Int[1, 120], Gen.Bool)
            .Sample((seed, count, lossy) => OneWay(seed, count, lossy), iter: 10, threads: 1);
    }

    private static void OneWay(int seed, int count, bool lossy)
    {
        using var h = lossy ? new NodeHarness(seed, drop: 0.1, duplicate: 0.05, reorder: 0.1, ringCapacity: 4) : new NodeHarness(seed, ringCapacity: 4);
        using Endpoint server = h[1].Node.Bind(NodeHarness.Dc, Server);
        using Endpoint sender = h[0].Node.Bind(NodeHarness.Dc, Client);
        h.RunUntil(() => h[0].Node.GetEndpointInfo(NodeHarness.Dc, Server)?.State == "remote", "the server's bind announced");
        var client = new OneWayClient(sender, Server, count, new Random(seed));
        h.RunUntil(() => client.Received.Count >= count, "every message received", () =>
        {
            client.MaybeSend();
            client.MaybeReceive(server);
        });
        h.Run(2000, () => client.MaybeReceive(server, oneIn: 1));   // a duplicate would come now
        Assert.That(client.Received, Is.EqualTo(client.Expected), $"once each, in order (seed {seed}, {count}, lossy {lossy})");
        TestContext.Out.WriteLine($"{count} messages, lossy {lossy}: {h.Steps} steps, refused {client.Refused}, overflowed " +
            $"{h[1].Node.GetCounter(NodeCounter.InboundOverflowed)}, back-pressure {h[1].Node.GetCounter(NodeCounter.InboundBackPressure)}, " +
            $"dropped {h.Network.Dropped}, duplicated {h.Network.Duplicated}");
    }
}
