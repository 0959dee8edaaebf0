using CsCheck;

namespace Dvs.Tests.Hosting.Harness;

/// <summary>
/// Issue 12, on the node-host harness (real node hosts, stepped on virtual time over a lossy
/// in-memory network): one-way messages from a client on one node to an endpoint on another
/// arrive exactly once and in the order sent, whatever the loss, duplication, reordering and
/// schedule, with rings small enough that they fill (the sender is refused and retries; the
/// receiving proxy overflows and pushes back), and across a cut of either node shorter than
/// PeerDownAfter (what it sends vanishes for up to 70 ms of virtual time; its peer retransmits).
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
        Gen.Select(Gen.Int, Gen.Int[1, 120], Gen.Bool, Gen.Int[-1, 1], Gen.Int[5, 70])
            .Sample((seed, count, lossy, cut, cutMs) => OneWay(seed, count, lossy, cut, cutMs), iter: 10, threads: 1);
    }

    /// <param name="seed">The network's and the scheduler's.</param>
    /// <param name="count">Messages sent.</param>
    /// <param name="lossy">Loss, duplication and reordering, or a perfect network.</param>
    /// <param name="cut">The node cut off halfway through (-1: none).</param>
    /// <param name="cutMs">For how long (virtual time, below PeerDownAfter).</param>
    private static void OneWay(int seed, int count, bool lossy, int cut, int cutMs)
    {
        using var h = lossy ? new NodeHarness(seed, drop: 0.1, duplicate: 0.05, reorder: 0.1, ringCapacity: 4) : new NodeHarness(seed, ringCapacity: 4);
        using Endpoint server = h[1].Node.Bind(NodeHarness.Dc, Server);
        using Endpoint sender = h[0].Node.Bind(NodeHarness.Dc, Client);
        h.RunUntil(() => h[0].Node.GetEndpointInfo(NodeHarness.Dc, Server)?.State == "remote", "the server's bind announced");
        var client = new OneWayClient(sender, Server, count, new Random(seed));
        long healAt = cut < 0 ? 0 : -1;
        void CutAndHeal()
        {
            if (healAt < 0 && client.Sent >= count / 2)
            {
                h.Network.Silenced.Add(cut);
                healAt = h.Now + cutMs * NodeHarness.Ms;
            }
            else if (healAt > 0 && h.Now >= healAt)
            {
                h.Network.Silenced.Remove(cut);
                healAt = 0;
            }
        }
        h.RunUntil(() => client.Received.Count >= count, "every message received", () =>
        {
            client.MaybeSend();
            client.MaybeReceive(server);
            CutAndHeal();
        });
        h.Run(2000, () =>   // a duplicate would come now
        {
            client.MaybeReceive(server, oneIn: 1);
            CutAndHeal();
        });
        Assert.That(client.Received, Is.EqualTo(client.Expected), $"once each, in order (seed {seed}, {count}, lossy {lossy}, node {cut} cut for {cutMs} ms)");
        Assert.That(h[0].Node.GetPeerState(1), Is.EqualTo("up"), "a cut shorter than PeerDownAfter takes no node down");
        TestContext.Out.WriteLine($"{count} messages, lossy {lossy}, node {cut} cut for {cutMs} ms: {h.Steps} steps, refused {client.Refused}, overflowed " +
            $"{h[1].Node.GetCounter(NodeCounter.InboundOverflowed)}, back-pressure {h[1].Node.GetCounter(NodeCounter.InboundBackPressure)}, " +
            $"dropped {h.Network.Dropped}, duplicated {h.Network.Duplicated}");
    }
}
