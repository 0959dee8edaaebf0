using System.Runtime.CompilerServices;
using Dvs.Layout;
using Dvs.Transport;

namespace Dvs.Hosting.Links;

/// <summary>
/// The node proxy's outbound thread: each pass runs the proxy's steps (<see cref="ISenderSteps"/>),
/// then every session's timers, sending the frames they produce (retransmissions, new data, acks,
/// heartbeats, bulk frames); with nothing done it idles until rung or a timer is due.
/// </summary>
internal sealed unsafe class SenderLoop
{
    private const int BulkBatchFrames = 8;

    private readonly ISenderSteps _steps;
    private readonly PeerLink?[] _links;
    private readonly int[] _peerIds;
    private readonly DatagramSender _sender;
    private readonly DatagramBatch _outBatch;
    // Bulk frames have their own batch, of the bulk MTU, made at the first bulk frame: most hosts never need it.
    private DatagramBatch? _bulkBatch;
    private readonly NodeEntry* _nodes;
    private readonly ulong* _counters;
    private readonly long _rttSampleTicks;
    private readonly Func<NodeMetrics?> _metrics;
    private readonly Clock _clock;
    // When each peer's RTT was last put into the histogram: one sample per heartbeat interval at most.
    private readonly long[] _rttRecordedAt = new long[SegmentLayout.MaxNodes];
    private volatile bool _stopping;

    /// <param name="steps">The proxy's work, run each pass.</param>
    /// <param name="links">The peers' links by node id.</param>
    /// <param name="peerIds">The peers' node ids.</param>
    /// <param name="sender">Sends the batches.</param>
    /// <param name="mtu">The datagram size of the frames.</param>
    /// <param name="nodes">The segment's node table (RTT, retransmissions per peer).</param>
    /// <param name="counters">The node's counters.</param>
    /// <param name="rttSampleInterval">How often a peer's RTT goes into the histogram at most.</param>
    /// <param name="metrics">The host's instruments, once it set them (null before, and in unit tests).</param>
    /// <param name="clock">The time the sessions' timers run on.</param>
    public SenderLoop(ISenderSteps steps, PeerLink?[] links, int[] peerIds, DatagramSender sender, int mtu, NodeEntry* nodes,
        ulong* counters, TimeSpan rttSampleInterval, Func<NodeMetrics?> metrics, Clock clock)
    {
        _clock = clock;
        _steps = steps;
        _links = links;
        _peerIds = peerIds;
        _sender = sender;
        _outBatch = new DatagramBatch(64, mtu);
        _nodes = nodes;
        _counters = counters;
        _rttSampleTicks = rttSampleInterval.Ticks;
        _metrics = metrics;
    }

    /// <summary>Ends <see cref="Run"/> after its current pass (wake it to make that prompt).</summary>
    public void Stop() => _stopping = true;

    /// <summary>The outbound thread's body, until <see cref="Stop"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Run()
    {
        while (!_stopping)
        {
            bool worked = RunOnce(out uint observed, out long deadline);
            if (worked || _stopping)
            {
                continue;
            }
            _steps.Idle(observed, deadline);
        }
    }

    /// <summary>
    /// One pass: the proxy's steps, then the sessions' timers; never idles. The thread's loop, and
    /// the node-host harness, which runs the passes of several hosts from one thread.
    /// </summary>
    /// <param name="observed">The doorbell word to idle on (see <see cref="ISenderSteps.BeginPass"/>).</param>
    /// <param name="deadline">The sessions' next timer (ticks; long.MaxValue: none).</param>
    /// <returns>Whether a step did something (pass again before idling).</returns>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public bool RunOnce(out uint observed, out long deadline)
    {
        observed = _steps.BeginPass();
        bool worked = _steps.AnnounceDirectoryChanges();
        worked |= _steps.ApplyPeerEvents();
        worked |= _steps.ProcessMigrations();
        // What waits in the peers' outboxes (a migration's commit and forwards among it) goes
        // before the outbound ring's new messages.
        worked |= _steps.FlushLinks();
        worked |= _steps.DrainOutbound();
        worked |= _steps.ProcessCopyJobs();
        worked |= _steps.FlushOverflow();
        deadline = PollSessions();
        return worked;
    }

    /// <summary>Runs every session's timers and sends what they produce; returns the next deadline.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private long PollSessions()
    {
        long deadline = long.MaxValue;
        foreach (int id in _peerIds)
        {
            ReliableSession session = _links[id]!.Session;
            long now = _clock.NowTicks;
            while (true)
            {
                int produced;
                int bulk = 0;
                lock (session.Gate)
                {
                    produced = session.Poll(now, _outBatch);
                    if (session.BulkInFlight > 0)
                    {
                        bulk = session.PollBulk(now, BulkBatch(session));
                    }
                    if (!_outBatch.IsFull && bulk == 0)
                    {
                        deadline = Math.Min(deadline, session.NextDeadline(now));
                    }
                }
                _sender.Send(_outBatch);
                if (_bulkBatch is { Count: > 0 } bulkBatch)
                {
                    _sender.Send(bulkBatch);
                }
                // After a bulk frame the messages queued behind it may go: poll again.
                if (bulk == 0 && (produced == 0 || !_outBatch.IsFull))
                {
                    break;
                }
            }
            RecordPeer(id, session, now);
        }
        return deadline;
    }

    /// <summary>The peer's RTT and retransmissions into the segment's node table and the counters.</summary>
    private void RecordPeer(int id, ReliableSession session, long now)
    {
        long srtt = session.SmoothedRtt;
        _nodes[id].RttNs = (ulong)(srtt * 100);
        // The RTT histogram samples the smoothed RTT once per heartbeat interval: bounded work,
        // off the per-message path (the session's per-ack samples stay inside it).
        if (srtt > 0 && now - _rttRecordedAt[id] >= _rttSampleTicks && _metrics() is { } metrics)
        {
            _rttRecordedAt[id] = now;
            metrics.RecordRtt(id, srtt / (double)TimeSpan.TicksPerMicrosecond);
        }
        long retransmissions = session.Retransmissions;
        Interlocked.Add(ref *(long*)&_counters[(int)NodeCounter.Retransmissions], retransmissions - (long)_nodes[id].Retransmissions);
        _nodes[id].Retransmissions = (ulong)retransmissions;
    }

    private DatagramBatch BulkBatch(ReliableSession session)
    {
        if (_bulkBatch is null || _bulkBatch.SlotSize < session.BulkMtu)
        {
            _bulkBatch = new DatagramBatch(BulkBatchFrames, session.BulkMtu);
        }
        return _bulkBatch;
    }
}
