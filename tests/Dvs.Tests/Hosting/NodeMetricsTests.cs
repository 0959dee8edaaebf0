using System.Diagnostics.Metrics;
using Dvs.Tests.Configuration;

namespace Dvs.Tests.Hosting;

[TestFixture]
public class NodeMetricsTests
{
    [Test]
    public void TheNodeHostPublishesItsCountersAsObservableInstruments()
    {
        using var nodes = new TwoNodes();
        using Endpoint server = nodes.Node0.Bind(0, 1);
        using Endpoint client = nodes.Node1.Bind(0, 2);
        Assert.That(nodes.Node0.WaitForRemote(0, 2, DvsTimeout.FromMilliseconds(30_000)), Is.EqualTo(DvsError.Ok));
        Assert.That(nodes.Node1.WaitForRemote(0, 1, DvsTimeout.FromMilliseconds(30_000)), Is.EqualTo(DvsError.Ok));
        for (int i = 0; i < 10; i++)
        {
            Assert.That(client.Send(1, new Message(i), DvsTimeout.FromMilliseconds(30_000)), Is.EqualTo(DvsError.Ok));
            Assert.That(server.Receive(2, out _, DvsTimeout.FromMilliseconds(30_000)), Is.EqualTo(DvsError.Ok));
        }
        var seen = new Dictionary<string, long>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == "Dvs.Node")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            lock (seen)
            {
                seen[instrument.Name] = Math.Max(seen.GetValueOrDefault(instrument.Name), value);
            }
        });
        listener.Start();
        listener.RecordObservableInstruments();
        Assert.That(seen.Keys, Is.SupersetOf(new[] { "dvs.messages.sent", "dvs.messages.received", "dvs.frames.sent", "dvs.drops", "dvs.endpoints", "dvs.peer.up" }));
        Assert.That(seen["dvs.messages.received"], Is.GreaterThanOrEqualTo(10));
        Assert.That(seen["dvs.peer.up"], Is.EqualTo(1));
    }

    [Test]
    public void AHostThatFailsToStartLeavesNoInstrumentOverItsUnmappedSegment()
    {
        // The proxy refuses a peer with the node's own id after the meter was published; before
        // the fix the failed host's meter stayed published, and observing it read unmapped memory
        // (an access violation that took the whole test host down).
        string name = ConfigDir.UniqueNodeName();
        var options = new NodeHostOptions
        {
            NodeName = name,
            NodeId = 3,
            Network = new NetworkOptions
            {
                Listen = new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0),
                Peers = { new PeerOptions { NodeId = 3, Name = "self", Address = new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 9) } },
                ClusterKey = TwoNodes.Key,
            },
        };
        var error = Assert.Throws<DvsException>(() => NodeHost.Start(options))!;
        Assert.That(error.Error, Is.EqualTo(DvsError.BadNodeId));
        var published = new List<string>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == "Dvs.Node")
            {
                lock (published)
                {
                    published.Add($"{NodeOf(instrument.Meter)}/{instrument.Name}");
                }
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, _, _, _) => { });
        listener.Start();
        listener.RecordObservableInstruments();   // crashed here
        Assert.That(published.Where(p => p.StartsWith(name + "/", StringComparison.Ordinal)), Is.Empty);
    }

    [Test]
    public void EachNodeHostsMeterIsTaggedWithTheNodeName()
    {
        using var nodes = new TwoNodes();
        var names = new HashSet<string>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, _) =>
        {
            if (instrument.Meter.Name == "Dvs.Node")
            {
                lock (names)
                {
                    names.Add(NodeOf(instrument.Meter) ?? "");
                }
            }
        };
        listener.Start();
        Assert.That(names, Is.SupersetOf(new[] { nodes.Node0.Name, nodes.Node1.Name }));
    }

    private static string? NodeOf(Meter meter) =>
        meter.Tags?.FirstOrDefault(t => t.Key == "node").Value as string;
}
