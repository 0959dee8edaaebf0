using Dvs.Ipc;
using Dvs.Layout;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Dvs;

/// <summary>
/// Hosts a node on this machine: creates its segment (mode 0600) with the configured DCs and
/// reclaims the endpoints of processes that die without unbinding, so whoever waits on them gets
/// a DVS error instead of hanging. Runs embedded in a process (tests, demo) or as `dvs node run`.
/// Disposing it removes the segment.
/// </summary>
public sealed unsafe class NodeHost : IDisposable
{
    private readonly NodeSegment _segment;
    private readonly Thread _reaper;
    private readonly ManualResetEventSlim _stop = new(false);
    private readonly TimeSpan _reapInterval;
    private readonly Lock _reapLock = new();
    private long _reclaimed;
    private int _disposed;

    private readonly Hosting.NodeProxy? _proxy;

    private NodeHost(NodeSegment segment, NodeHostOptions options, ILogger log)
    {
        _segment = segment;
        _reapInterval = options.ReapInterval;
        try
        {
            _proxy = options.Network is null ? null : new Hosting.NodeProxy(segment, options.Network, options.Cluster, log);
        }
        catch
        {
            segment.Unlink();
            segment.Dispose();
            throw;
        }
        _reaper = new Thread(ReapLoop) { IsBackground = true, Name = $"dvs-reaper-{segment.NodeName}" };
        _reaper.Start();
    }

    /// <summary>Creates the node segment and starts the host.</summary>
    /// <exception cref="DvsException">Bad options, or another live host already runs this node.</exception>
    public static NodeHost Start(NodeHostOptions options, ILogger? log = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new NodeHost(NodeSegment.Create(options), options, log ?? NullLogger.Instance);
    }

    /// <summary>The UDP endpoint the proxy listens on; null for a host without network.</summary>
    public System.Net.IPEndPoint? ListenEndPoint => _proxy?.LocalEndPoint;

    public string NodeName => _segment.NodeName;
    public string SegmentName => _segment.Name;
    public int NodeId => _segment.Header->NodeId;
    public ulong Incarnation => _segment.Header->Incarnation;

    /// <summary>Endpoints reclaimed because their owner died.</summary>
    public long Reclaimed => Interlocked.Read(ref _reclaimed);

    /// <summary>Attaches this process to the hosted node.</summary>
    public Node Attach(WaitStrategy? wait = null) => Node.Attach(NodeName, wait);

    /// <summary>One reaping pass now (the host also runs them periodically). Returns how many were reclaimed.</summary>
    public int ReapOnce()
    {
        // One pass at a time: a caller that asks for a pass also waits for the periodic one.
        lock (_reapLock)
        {
            return ReapPass();
        }
    }

    private int ReapPass()
    {
        int count = 0;
        for (int dcid = 0; dcid < SegmentLayout.MaxDcs; dcid++)
        {
            if (_segment.TryGetDc(dcid, out DcView dc) != DvsError.Ok)
            {
                continue;
            }
            for (int i = 0; i < dc.NrSlots; i++)
            {
                EndpointSlot* slot = dc.Slot(i);
                uint state = Volatile.Read(ref slot->State);
                if ((state == SegmentLayout.SlotLocal || state == SegmentLayout.SlotBinding) && slot->OwnerPid > 0 &&
                    !Liveness.OwnerAlive(slot) && SlotReclaimer.Reclaim(dc, i, slot->Endpoint, slot->OwnerPid))
                {
                    count++;
                }
            }
        }
        Interlocked.Add(ref _reclaimed, count);
        return count;
    }

    private void ReapLoop()
    {
        while (!_stop.Wait(_reapInterval))
        {
            ReapOnce();
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        _stop.Set();
        _reaper.Join();
        _proxy?.Dispose();
        Volatile.Write(ref _segment.Header->State, 2u);
        _segment.Unlink();
        _segment.Dispose();
        _stop.Dispose();
    }
}
