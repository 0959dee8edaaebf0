using System.Diagnostics.Metrics;
using Dvs.Ipc;
using Dvs.Layout;

namespace Dvs.Hosting;

/// <summary>
/// The node host's instruments (System.Diagnostics.Metrics, meter "Dvs.Node"), readable with
/// `dotnet-counters monitor --counters Dvs.Node -p &lt;pid&gt;`. Every instrument is observable: it
/// reads the counters the proxy already keeps in the node segment when a listener collects, so the
/// hot path pays nothing beyond the increments it does anyway.
/// </summary>
internal sealed unsafe class NodeMetrics : IDisposable
{
    public const string MeterName = "Dvs.Node";

    private readonly Meter _meter;
    private readonly NodeSegment _segment;
    private readonly Lock _gate = new();
    private bool _disposed;
    private readonly Histogram<double> _rtt;
    private readonly Histogram<double> _migration;
    // Boxed once, so recording a peer's RTT allocates nothing.
    private readonly object[] _peerTags = Enumerable.Range(0, SegmentLayout.MaxNodes).Select(n => (object)n).ToArray();

    public NodeMetrics(NodeSegment segment)
    {
        _segment = segment;
        // The node's name as a meter tag: one process may host several nodes (tests, embedded clusters).
        _meter = new Meter(new MeterOptions(MeterName)
        {
            Version = "1.0",
            Tags = [new KeyValuePair<string, object?>("node", segment.NodeName)],
        });
        Counter("dvs.frames.sent", NodeCounter.FramesSent, "{frame}", "Frames sent to peers");
        Counter("dvs.frames.received", NodeCounter.FramesReceived, "{frame}", "Frames received from peers");
        Counter("dvs.messages.sent", NodeCounter.MessagesSent, "{message}", "Messages sent to other nodes");
        Counter("dvs.messages.received", NodeCounter.MessagesReceived, "{message}", "Messages delivered from other nodes");
        Counter("dvs.bytes.sent", NodeCounter.BytesSent, "By", "Bytes sent to peers");
        Counter("dvs.bytes.received", NodeCounter.BytesReceived, "By", "Bytes received from peers");
        Counter("dvs.retransmissions", NodeCounter.Retransmissions, "{frame}", "Frames sent again");
        Counter("dvs.forwarded", NodeCounter.Forwarded, "{message}", "Messages forwarded after a migration");
        Counter("dvs.migrations.started", NodeCounter.MigrationsStarted, "{migration}", "Migrations started here");
        Counter("dvs.migrations.committed", NodeCounter.MigrationsCommitted, "{migration}", "Migrations committed");
        Counter("dvs.migrations.rolled_back", NodeCounter.MigrationsRolledBack, "{migration}", "Migrations rolled back");
        _meter.CreateObservableCounter("dvs.drops", () => Observe(() => Drops().ToList()), "{frame}", "Frames or messages dropped, by reason");
        _meter.CreateObservableGauge("dvs.endpoints", () => Observe(Endpoints), "{endpoint}", "Endpoints of this node's DCs, by state");
        _meter.CreateObservableGauge("dvs.peer.rtt", () => Observe(() => Peers(rtt: true)), "us", "Smoothed round-trip time per peer");
        _meter.CreateObservableGauge("dvs.peer.up", () => Observe(() => Peers(rtt: false)), "{peer}", "1 while the peer is up");
        _rtt = _meter.CreateHistogram<double>("dvs.peer.rtt.samples", "us",
            "Smoothed round-trip time per peer, sampled once per heartbeat interval");
        _migration = _meter.CreateHistogram<double>("dvs.migration.duration", "ms",
            "How long a migration (or one step of it) kept its endpoint paused, by step and result");
    }

    /// <summary>One RTT sample of <paramref name="peer"/>. Called by the proxy's outbound thread at
    /// most once per heartbeat interval per peer; allocation-free.</summary>
    public void RecordRtt(int peer, double microseconds)
    {
        if (_rtt.Enabled)
        {
            _rtt.Record(microseconds, new KeyValuePair<string, object?>("peer", _peerTags[peer]));
        }
    }

    /// <summary>Puts a migration's (or a step's) elapsed time into the histogram and returns it
    /// unchanged. Thread-safe.</summary>
    /// <param name="result">What the step returned.</param>
    /// <param name="step">"migrate" (the whole move), "start", "commit" or "rollback".</param>
    public MigrationResult Record(MigrationResult result, string step = "migrate")
    {
        _migration.Record(result.Elapsed.TotalMilliseconds,
            new KeyValuePair<string, object?>("step", step),
            new KeyValuePair<string, object?>("result", result.Error == DvsError.Ok ? "ok" : result.Phase + ":" + result.Error));
        return result;
    }

    private void Counter(string name, NodeCounter counter, string unit, string description) =>
        _meter.CreateObservableCounter(name, () => Observe(() => new[] { new Measurement<long>(Read(counter)) }), unit, description);

    /// <summary>
    /// Runs one observation unless the node host is stopping. A listener may observe on any
    /// thread at any time, and Meter.Dispose does not wait for a callback in progress: without
    /// this gate, a callback could read the segment after the host unmapped it (seen: an access
    /// violation in a test whose MeterListener observed another test's host as it stopped).
    /// </summary>
    private IEnumerable<Measurement<long>> Observe(Func<IEnumerable<Measurement<long>>> read)
    {
        lock (_gate)
        {
            return _disposed ? [] : read();
        }
    }

    private long Read(NodeCounter counter)
    {
        var values = (ulong*)(_segment.Base + _segment.Header->CountersOffset);
        return (long)Volatile.Read(ref values[(int)counter]);
    }

    private IEnumerable<Measurement<long>> Drops()
    {
        foreach (NodeCounter c in new[]
                 {
                     NodeCounter.DropMalformed, NodeCounter.DropBadHmac, NodeCounter.DropUnknownNode, NodeCounter.DropWrongCluster,
                     NodeCounter.DropStaleIncarnation, NodeCounter.DropDuplicate, NodeCounter.DropWrongDc,
                     NodeCounter.DropUnknownEndpoint, NodeCounter.DropFullRing, NodeCounter.DropLateReply, NodeCounter.DropOther,
                     NodeCounter.DropPeerDown, NodeCounter.DropQueueFull,
                 })
        {
            yield return new Measurement<long>(Read(c), new KeyValuePair<string, object?>("reason", c.ToString()["Drop".Length..]));
        }
    }

    private List<Measurement<long>> Endpoints()
    {
        var list = new List<Measurement<long>>();
        for (int dcid = 0; dcid < SegmentLayout.MaxDcs; dcid++)
        {
            if (_segment.TryGetDc(dcid, out DcView dc) != DvsError.Ok)
            {
                continue;
            }
            var byState = new long[8];
            for (int i = 0; i < dc.NrSlots; i++)
            {
                uint state = Volatile.Read(ref dc.Slot(i)->State);
                if (state < byState.Length)
                {
                    byState[state]++;
                }
            }
            for (uint s = 1; s < byState.Length; s++)
            {
                if (byState[s] > 0)
                {
                    list.Add(new Measurement<long>(byState[s],
                        new KeyValuePair<string, object?>("dc", dcid), new KeyValuePair<string, object?>("state", EndpointInfo.StateName(s))));
                }
            }
        }
        return list;
    }

    private List<Measurement<long>> Peers(bool rtt)
    {
        var nodes = (NodeEntry*)(_segment.Base + _segment.Header->NodesOffset);
        var list = new List<Measurement<long>>();
        for (int n = 0; n < SegmentLayout.MaxNodes; n++)
        {
            uint state = Volatile.Read(ref nodes[n].State);
            if (state is SegmentLayout.NodeUp or SegmentLayout.NodeDown)
            {
                long value = rtt ? (long)(nodes[n].RttNs / 1000) : state == SegmentLayout.NodeUp ? 1 : 0;
                list.Add(new Measurement<long>(value, new KeyValuePair<string, object?>("peer", n)));
            }
        }
        return list;
    }

    /// <summary>Called before the segment is unmapped: no observation reads it after this returns.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
        }
        _meter.Dispose();
    }
}
