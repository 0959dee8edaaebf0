using System.Diagnostics;
using Dvs.Services;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Dvs.Tests.Hosting;

/// <summary>OpenTelemetry sees the "Dvs.Node" meter's counters move and a migration as one activity of "Dvs.Migration".</summary>
[TestFixture]
public class TelemetryTests
{
    private static readonly DvsTimeout Wait = DvsTimeout.FromMilliseconds(30_000);

    [Test]
    public void TheInMemoryExporterSeesTheNodeCountersMove()
    {
        var exported = new List<MetricSnapshot>();
        using MeterProvider meters = Sdk.CreateMeterProviderBuilder()
            .AddMeter(DvsTelemetry.MeterName)
            .AddInMemoryExporter(exported)
            .Build();
        using var nodes = new TwoNodes();
        using Endpoint server = nodes.Node0.Bind(0, 1);
        using Endpoint client = nodes.Node1.Bind(0, 2);
        Assert.That(nodes.Node1.WaitForRemote(0, 1, Wait), Is.EqualTo(DvsError.Ok));
        long before = Sent(meters, exported);
        for (int i = 0; i < 10; i++)
        {
            Assert.That(client.Send(1, new Message(i), Wait), Is.EqualTo(DvsError.Ok));
            Assert.That(server.Receive(2, out _, Wait), Is.EqualTo(DvsError.Ok));
        }
        long after = Sent(meters, exported);
        Assert.That(after - before, Is.GreaterThanOrEqualTo(10));
    }

    [Test]
    public void AMigrationIsOneActivityWithItsResult()
    {
        var activities = new List<Activity>();
        using TracerProvider tracer = Sdk.CreateTracerProviderBuilder()
            .AddSource(DvsTelemetry.ActivitySourceName)
            .AddInMemoryExporter(activities)
            .Build();
        using var nodes = new TwoNodes();
        BuiltInServices.RegisterAll(nodes.Host0);
        BuiltInServices.RegisterAll(nodes.Host1);
        nodes.Host0.HostService(0, 5, EchoService.KindName);
        Assert.That(nodes.Node1.WaitForRemote(0, 5, Wait), Is.EqualTo(DvsError.Ok));

        MigrationResult moved = nodes.Host0.Migrate(0, 5, 1);
        MigrationResult refused = nodes.Host0.Migrate(0, 99, 1);   // nothing on 99: refused at start
        tracer.ForceFlush();

        Assert.That(moved.IsOk, Is.True, moved.ToString());
        Assert.That(refused.Error, Is.EqualTo(DvsError.NotBind));
        Activity ok = activities.Single(a => a.DisplayName == "dvs.migrate" && Equals(a.GetTagItem("dvs.endpoint"), 5));
        Assert.That(ok.Status, Is.EqualTo(ActivityStatusCode.Ok));
        Assert.That(ok.GetTagItem("dvs.node.to"), Is.EqualTo(1));
        Assert.That(ok.GetTagItem("dvs.migration.epoch"), Is.EqualTo(moved.Epoch));
        Assert.That(ok.Duration, Is.GreaterThan(TimeSpan.Zero));
        Activity failed = activities.Single(a => a.DisplayName == "dvs.migrate" && Equals(a.GetTagItem("dvs.endpoint"), 99));
        Assert.That(failed.Status, Is.EqualTo(ActivityStatusCode.Error));
        Assert.That(failed.GetTagItem("dvs.error"), Is.EqualTo("NotBind"));
    }

    // The sum of dvs.messages.sent over every node, as the exporter got it at a collection now.
    private static long Sent(MeterProvider meters, List<MetricSnapshot> exported)
    {
        exported.Clear();
        Assert.That(meters.ForceFlush(), Is.True);
        long sum = 0;
        foreach (MetricSnapshot metric in exported.Where(m => m.Name == "dvs.messages.sent"))
        {
            foreach (MetricPoint point in metric.MetricPoints)
            {
                sum += point.GetSumLong();
            }
        }
        return sum;
    }
}
