using System.Diagnostics.Metrics;

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
}
