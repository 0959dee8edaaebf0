using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Dvs.Tests.Hosting;

/// <summary>The histograms of meter "Dvs.Node": per-peer RTT samples and migration durations.</summary>
[TestFixture]
public class NodeMetricsHistogramTests
{
    [Test]
    public void ThePeerRttHistogramGetsSamplesOnceTrafficWasAcknowledged()
    {
        var rtts = new List<(double Value, object? Peer)>();
        using MeterListener listener = Listen("dvs.peer.rtt.samples", (value, tags) =>
        {
            lock (rtts)
            {
                rtts.Add((value, Tag(tags, "peer")));
            }
        });
        using var nodes = new TwoNodes();
        using Endpoint server = nodes.Node0.Bind(0, 1);
        using Endpoint client = nodes.Node1.Bind(0, 2);
        Assert.That(nodes.Node1.WaitForRemote(0, 1, DvsTimeout.FromMilliseconds(30_000)), Is.EqualTo(DvsError.Ok));
        for (int i = 0; i < 5; i++)
        {
            Assert.That(client.Send(1, new Message(i), DvsTimeout.FromMilliseconds(30_000)), Is.EqualTo(DvsError.Ok));
            Assert.That(server.Receive(2, out _, DvsTimeout.FromMilliseconds(30_000)), Is.EqualTo(DvsError.Ok));
        }
        // Recorded by the proxies' outbound threads once per heartbeat interval: poll, bounded.
        WaitUntil(() =>
        {
            lock (rtts)
            {
                return rtts.Any(r => Equals(r.Peer, 0)) && rtts.Any(r => Equals(r.Peer, 1));
            }
        }, "no RTT sample of both peers within 30 s");
        lock (rtts)
        {
            Assert.That(rtts.Select(r => r.Value), Has.All.Positive);
        }
    }

    [Test]
    public void AMigrationsDurationIsRecordedWithItsResult()
    {
        var seen = new List<(double Ms, object? Step, object? Result)>();
        using MeterListener listener = Listen("dvs.migration.duration", (value, tags) =>
        {
            lock (seen)
            {
                seen.Add((value, Tag(tags, "step"), Tag(tags, "result")));
            }
        });
        using var nodes = new TwoNodes();
        // No service on endpoint 99: refused in phase start, and still measured.
        MigrationResult r = nodes.Host0.Migrate(0, 99, 1);
        Assert.That(r.Error, Is.EqualTo(DvsError.NotBind));
        lock (seen)
        {
            Assert.That(seen, Has.Some.Matches<(double Ms, object? Step, object? Result)>(
                s => Equals(s.Step, "migrate") && Equals(s.Result, "start:NotBind") && s.Ms >= 0));
        }
    }

    private static MeterListener Listen(string instrumentName, Action<double, ReadOnlySpan<KeyValuePair<string, object?>>> onMeasurement)
    {
        var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == "Dvs.Node" && instrument.Name == instrumentName)
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<double>((_, value, tags, _) => onMeasurement(value, tags));
        listener.Start();
        return listener;
    }

    private static object? Tag(ReadOnlySpan<KeyValuePair<string, object?>> tags, string key)
    {
        foreach (var tag in tags)
        {
            if (tag.Key == key)
            {
                return tag.Value;
            }
        }
        return null;
    }

    // Polls a measurement made by another thread, which has no wake-up to wait on; bounded.
    private static void WaitUntil(Func<bool> condition, string failure)
    {
        var clock = Stopwatch.StartNew();
        var spin = new SpinWait();
        while (!condition())
        {
            if (clock.Elapsed > TimeSpan.FromSeconds(30))
            {
                Assert.Fail(failure);
            }
            spin.SpinOnce(sleep1Threshold: 20);
        }
    }
}
