using System.Diagnostics;
using System.Net;
using Dvs.Transport;

namespace Dvs.Tests.Hosting;

/// <summary>
/// Issue 11.23: sizes an authentic frame asks a node host to allocate are bounded; beyond the
/// bound the request is dropped and counted, and the host serves on.
/// </summary>
[TestFixture]
public class InboundBoundsTests
{
    private const byte MigrateOffer = 30;
    private const byte MigrateDelta = 37;

    [Test]
    public void OffersAndDeltasLargerThanTheConfiguredMaximumAreDroppedAndCounted()
    {
        using var cluster = new ForgedPeerHost("bounds-", maxMigrationBytes: 1 << 20);
        Node node = cluster.Node;
        ForgedPeer peer = cluster.Peer;

        // An offer of 2 MiB (over the 1 MiB maximum); then a fitting one and a 2 MiB delta for it.
        var oversized = new Message(0);
        oversized[0] = 2 << 20;
        peer.Send(new MessageHeader(0, MigrateOffer, 5, 1, 0), oversized);
        var fitting = new Message(0);
        fitting[0] = 1000;
        peer.Send(new MessageHeader(0, MigrateOffer, 5, 2, 0), fitting);
        peer.Send(new MessageHeader(0, MigrateDelta, 5, 2, 0), oversized);
        peer.PumpUntil(() => node.GetCounter(NodeCounter.DropTooLarge) >= 2, "both oversized requests counted");
        Assert.That(node.GetCounter(NodeCounter.DropTooLarge), Is.EqualTo(2));
        Assert.That(node.GetPeerState(1), Is.EqualTo("up"));
    }
}
