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
public sealed unsafe partial class NodeHost : IDisposable
{
    private readonly NodeSegment _segment;
    private readonly Thread _reaper;
    private readonly ManualResetEventSlim _stop = new(false);
    private readonly TimeSpan _reapInterval;
    private readonly Lock _reapLock = new();
    private long _reclaimed;
    private int _disposed;

    private readonly Hosting.NodeProxy? _proxy;
    private readonly Hosting.ServiceRegistry _services;
    private readonly Hosting.NodeMetrics _metrics;
    private readonly ILogger _log;
    private readonly Hosting.EpochRecord _epochs;

    private NodeHost(NodeSegment segment, NodeHostOptions options, ILogger log, Transport.IDatagramChannel? channel = null,
        Transport.Clock? clock = null)
    {
        _segment = segment;
        _reapInterval = options.ReapInterval;
        MigrationTimeout = options.MigrationTimeout;
        _log = log;
        _services = new Hosting.ServiceRegistry(log);
        _metrics = new Hosting.NodeMetrics(segment);
        _epochs = Hosting.EpochRecord.Load(segment.NodeName);
        try
        {
            // A channel given: the node-host harness runs the proxy's passes itself (stepped).
            _proxy = options.Network is null ? null
                : new Hosting.NodeProxy(segment, options.Network, options.Cluster, log, channel, clock, stepped: channel is not null);
            if (_proxy is not null)
            {
                _proxy.Services = _services;
                _proxy.Metrics = _metrics;
                _proxy.Epochs = _epochs;
            }
            _services.Node = Node.Attach(segment.NodeName);
            // Only now: a peer's first frame may already need the services, the metrics, the node.
            if (channel is null)
            {
                _proxy?.Start();
            }
        }
        catch
        {
            // The meter is published already: withdraw it before the segment it reads goes away
            // (a listener observed a failed start's counters over unmapped memory: a test host crash).
            _proxy?.Dispose();
            _metrics.Dispose();
            segment.Unlink();
            segment.Dispose();
            throw;
        }
        _reaper = new Thread(ReapLoop) { IsBackground = true, Name = $"dvs-reaper-{segment.NodeName}" };
        _reaper.Start();
        try
        {
            StartControl(options);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>Creates the node segment and starts the host.</summary>
    /// <exception cref="DvsException">Bad options, or another live host already runs this node.</exception>
    public static NodeHost Start(NodeHostOptions options, ILogger? log = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();   // before the segment is touched: a bad option is named, nothing is left behind
        return new NodeHost(NodeSegment.Create(options), options, log ?? NullLogger.Instance);
    }

    /// <summary>
    /// The node-host harness (tests): a host whose proxy talks over <paramref name="channel"/> on
    /// <paramref name="clock"/>'s time and runs no threads of its own: the harness runs its passes
    /// (<see cref="Proxy"/>). <paramref name="options"/> must name a network (its peers; its
    /// addresses and transport are not used).
    /// </summary>
    /// <param name="options">The host's options.</param>
    /// <param name="channel">The network the proxy uses (it owns it).</param>
    /// <param name="clock">The time the proxy reads.</param>
    /// <param name="log">The host's log.</param>
    internal static NodeHost StartStepped(NodeHostOptions options, Transport.IDatagramChannel channel, Transport.Clock clock, ILogger? log = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (options.Network is null)
        {
            throw new ArgumentException("a stepped host needs a network", nameof(options));
        }
        return new NodeHost(NodeSegment.Create(options), options, log ?? NullLogger.Instance, channel, clock);
    }

    /// <summary>The proxy (null without network); the harness runs its passes.</summary>
    internal Hosting.NodeProxy? Proxy => _proxy;

    /// <summary>The UDP endpoint the proxy listens on; null for a host without network.</summary>
    public System.Net.IPEndPoint? ListenEndPoint => _proxy?.LocalEndPoint;

    public string NodeName => _segment.NodeName;
    public string SegmentName => _segment.Name;
    public int NodeId => _segment.Header->NodeId;
    public ulong Incarnation => _segment.Header->Incarnation;

    /// <summary>
    /// Completes, with the exception, when a thread of this host's proxy dies: remote calls of the
    /// node then fail with <see cref="DvsError.NoProxy"/> (local ones still work); dispose the host
    /// and start it again. Never completes for a healthy host or one without network.
    /// </summary>
    public Task<Exception> Failure => _proxy?.Failure ?? NeverFails.Task;

    private static readonly TaskCompletionSource<Exception> NeverFails = new();

    /// <summary>Endpoints reclaimed because their owner died.</summary>
    public long Reclaimed => Interlocked.Read(ref _reclaimed);

    /// <summary>Lets this host create services of <paramref name="kind"/>: the ones it hosts, and ones migrated to it.</summary>
    public void RegisterServiceKind(string kind, Func<Services.IMigratableService> factory) => _services.AddFactory(kind, factory);

    /// <summary>
    /// Starts a hosted service of <paramref name="kind"/> on <paramref name="endpoint"/> (bound by
    /// this host's process). After a restart of this host it first settles what the previous one
    /// left (docs/protocol.md, restart rule): a peer that holds a current copy of a migration of
    /// the endpoint serves it (it is not started here: <see cref="DvsError.RmtProc"/>); an endpoint
    /// this node served before, with no current copy anywhere, starts empty one epoch newer than
    /// any seen, and each client's first request gets <see cref="DvsError.StateLost"/>.
    /// </summary>
    /// <exception cref="DvsException">Unknown kind, the endpoint cannot be bound, or it is served elsewhere (RmtProc).</exception>
    public Services.ServiceHost HostService(int dcid, int endpoint, string kind)
    {
        Services.IMigratableService service = _services.Create(kind)
            ?? throw new DvsException(DvsError.BadValue, $"no service kind '{kind}' is registered on node '{NodeName}'");
        Node node = _services.Node!;
        if (_proxy is not null && node.GetEndpointInfo(dcid, endpoint) is null or { State: "free" })
        {
            bool recorded = _epochs.TryGet(dcid, endpoint, out uint used, out int usedBy);
            bool owned = _proxy.OwnedBefore(dcid, endpoint, out uint seen);
            if (_proxy.HeldElsewhere(dcid, endpoint, out var copy))
            {
                // The copy is current when this node used no newer epoch since it paused (it did
                // not roll back and serve again): its holder serves from it. Else it is stale.
                bool current = CopyIsCurrent(recorded, used, owned, seen, copy.Epoch);
                _proxy.SettleCopy(copy.Holder, dcid, endpoint, copy.Id, handOver: current);
                if (current)
                {
                    _epochs.Raise(dcid, endpoint, copy.Epoch, copy.Holder);   // the holder's now: not this node's to bring back
                    _log.LogWarning("endpoint {Endpoint} of DC {Dc}: node {Holder} holds the current copy of its migration (epoch {Epoch}): "
                        + "handed over to it; service {Kind} not started here", endpoint, dcid, copy.Holder, copy.Epoch, kind);
                    throw new DvsException(DvsError.RmtProc,
                        $"endpoint {endpoint} of DC {dcid} is served by node {copy.Holder} (epoch {copy.Epoch}), from the copy of its migration");
                }
                (recorded, used, usedBy) = (true, Math.Max(used, copy.Epoch), NodeId);
            }
            if (owned)
            {
                // A peer says it was ours when this node went down: the state went with it.
                return StartLostService(dcid, endpoint, kind, service, Math.Max(seen, recorded ? used : 0));
            }
            if (recorded && usedBy != NodeId)
            {
                // It moved away (or this node yielded it) and its owner has not announced it yet.
                throw new DvsException(DvsError.RmtProc,
                    $"endpoint {endpoint} of DC {dcid} is served by node {usedBy} (epoch {used}), as this node last knew");
            }
            if (recorded)
            {
                return StartLostService(dcid, endpoint, kind, service, used);
            }
        }
        Endpoint bound = node.Bind(dcid, endpoint, kind);
        _epochs.Raise(dcid, endpoint, 0, NodeId, kind);
        var host = new Services.ServiceHost(bound, service, kind, null, _log);
        _services.Add(host);
        return host;
    }

    /// <summary>
    /// A copy at <paramref name="copyEpoch"/> is current when this node recorded no newer epoch of
    /// its own (it did not roll back and serve again) and no peer saw it serve at that epoch or newer.
    /// </summary>
    private static bool CopyIsCurrent(bool recorded, uint used, bool owned, uint seen, uint copyEpoch) =>
        (!recorded || used <= copyEpoch) && (!owned || seen < copyEpoch);

    /// <summary>This node served the endpoint before it restarted and no copy of its state is left: it comes back newer, and says so.</summary>
    private Services.ServiceHost StartLostService(int dcid, int endpoint, string kind, Services.IMigratableService service, uint newest)
    {
        uint epoch = newest + 1;
        _epochs.Raise(dcid, endpoint, epoch, NodeId, kind);
        DvsError error = _services.Node!.CommitBind(dcid, endpoint, epoch, out Endpoint? rebound);
        if (error != DvsError.Ok)
        {
            throw new DvsException(error, $"endpoint {endpoint} of DC {dcid} cannot be bound again on node '{NodeName}'");
        }
        rebound!.SetName(kind);
        _log.LogWarning("endpoint {Endpoint} of DC {Dc}: state lost: this node served it (epoch {Epoch}) before it restarted and no node holds "
            + "a copy; service {Kind} starts empty at epoch {New}, and each client's first request gets StateLost",
            endpoint, dcid, newest, kind, epoch);
        var renewed = new Services.ServiceHost(rebound, service, kind, null, _log, stateLost: true);
        _services.Add(renewed);
        return renewed;
    }

    /// <summary>
    /// After a restart, once the hosted services started and the copies were settled: services this
    /// node served when it went down that nothing here started (it got them by a migration, so its
    /// ini does not name them) and nobody else serves. They come back empty, one epoch newer, and
    /// say so (<see cref="HostService"/>'s lost-state path). Returns how many.
    /// </summary>
    public int RestoreLostServices()
    {
        int restored = 0;
        foreach ((int dcid, int endpoint, uint _, string kind) in _epochs.Served(NodeId))
        {
            if (_services.Find(dcid, endpoint) is not null || _services.Node!.GetEndpointInfo(dcid, endpoint) is not (null or { State: "free" }))
            {
                continue;   // started from the ini, or served (announced) elsewhere
            }
            using System.Diagnostics.Activity? failover = DvsTelemetry.StartFailover(dcid, endpoint, kind, NodeId);
            try
            {
                HostService(dcid, endpoint, kind);
                restored++;
                failover?.SetStatus(System.Diagnostics.ActivityStatusCode.Ok);
            }
            catch (DvsException e)
            {
                failover?.SetStatus(System.Diagnostics.ActivityStatusCode.Error, e.Message);
                _log.LogWarning("endpoint {Endpoint} of DC {Dc}: service {Kind} not brought back: {Why}", endpoint, dcid, kind, e.Message);
            }
        }
        return restored;
    }

    /// <summary>
    /// After a restart, once the hosted services started: copies of this node's migrations that
    /// peers hold for endpoints no service here claimed. Each is handed over (its holder serves
    /// it) when current, else aborted. Returns how many were handed over.
    /// </summary>
    public int SettleMigrationCopies()
    {
        if (_proxy is null)
        {
            return 0;
        }
        int handedOver = 0;
        foreach ((int dcid, int endpoint, int holder, uint epoch, int id) in _proxy.TakeHeldElsewhere())
        {
            bool current = CopyIsCurrent(_epochs.TryGet(dcid, endpoint, out uint used, out _), used,
                _proxy.OwnedBefore(dcid, endpoint, out uint seen), seen, epoch);
            _proxy.SettleCopy(holder, dcid, endpoint, id, handOver: current);
            if (current)
            {
                _epochs.Raise(dcid, endpoint, epoch, holder);
            }
            _log.LogWarning("endpoint {Endpoint} of DC {Dc}: node {Holder} holds a {Which} copy of its migration (epoch {Epoch}): {Done}",
                endpoint, dcid, holder, current ? "current" : "stale", epoch, current ? "handed over to it" : "aborted");
            handedOver += current ? 1 : 0;
        }
        return handedOver;
    }

    /// <summary>
    /// Waits until this node knows every endpoint its peers of DC <paramref name="dcid"/> serve:
    /// each peer has announced its list since it came up, or is declared down. Start hosted
    /// services after it, so that a node restarted after its service migrated away learns that a
    /// peer serves it and does not start it a second time. False after <paramref name="timeout"/>.
    /// </summary>
    public bool WaitForDirectory(int dcid, TimeSpan timeout) =>
        _proxy is null || SpinWait.SpinUntil(() => _proxy.DirectoryKnown(dcid), timeout);

    /// <summary>The hosted service on an endpoint of this node, if any.</summary>
    public Services.ServiceHost? FindService(int dcid, int endpoint) => _services.Find(dcid, endpoint);

    /// <summary>How long a migration may take before it rolls back.</summary>
    public TimeSpan MigrationTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Moves a hosted service's endpoint to node <paramref name="toNode"/> (migr_start, then
    /// migr_commit; migr_rollback on any failure before commit). Clients keep calling it by the
    /// same number, with nothing lost, executed twice or reordered. Blocks until done.
    /// </summary>
    public MigrationResult Migrate(int dcid, int endpoint, int toNode)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        if (_proxy is null)
        {
            return new MigrationResult(DvsError.NoProxy, "start", 0, NodeId, toNode, clock.Elapsed, 0);
        }
        Count(NodeCounter.MigrationsStarted);
        // prepareFully: false: a pre-copied service pauses only inside the commit, for its delta.
        DvsError error = _proxy.MigrateStart(dcid, endpoint, toNode, MigrationTimeout, out string phase, out long bytes, prepareFully: false);
        if (error != DvsError.Ok)
        {
            Count(NodeCounter.MigrationsRolledBack);
            return Finish(new MigrationResult(error, phase, 0, NodeId, toNode, clock.Elapsed, bytes), dcid, endpoint);
        }
        error = _proxy.MigrateCommit(dcid, endpoint, MigrationTimeout, out uint epoch);
        if (error == DvsError.Ok)
        {
            Count(NodeCounter.MigrationsCommitted);
        }
        return Finish(new MigrationResult(error, error == DvsError.Ok ? "done" : "commit", epoch, NodeId, toNode, clock.Elapsed, bytes), dcid, endpoint);
    }

    /// <summary>migr_start: pause, pack and transfer; the target is ready but does not serve yet.</summary>
    public DvsError MigrateStart(int dcid, int endpoint, int toNode) =>
        _proxy is null ? DvsError.NoProxy : _proxy.MigrateStart(dcid, endpoint, toNode, MigrationTimeout, out _, out _);

    /// <summary>migr_commit of a started migration.</summary>
    public DvsError MigrateCommit(int dcid, int endpoint) =>
        _proxy is null ? DvsError.NoProxy : _proxy.MigrateCommit(dcid, endpoint, MigrationTimeout, out _);

    /// <summary>migr_rollback of a started migration: the service resumes here.</summary>
    public DvsError MigrateRollback(int dcid, int endpoint) =>
        _proxy is null ? DvsError.NoProxy : _proxy.MigrateRollback(dcid, endpoint, MigrationTimeout);

    private void Count(NodeCounter counter)
    {
        var counters = (ulong*)(_segment.Base + _segment.Header->CountersOffset);
        Interlocked.Increment(ref *(long*)&counters[(int)counter]);
    }

    /// <summary>Attaches this process to the hosted node.</summary>
    public Node Attach(WaitStrategy? wait = null) => Node.Attach(NodeName, wait);

    /// <summary>
    /// One reaping pass now (the host also runs them periodically): reclaims the endpoints of dead
    /// processes and unblocks ring cells that dead producers claimed and never published
    /// (<see cref="NodeCounter.RingCellsUnblocked"/>). Returns how many endpoints were reclaimed.
    /// </summary>
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
        // After the reclaims: a dead process's own ring was reset by them, others' rings may still
        // hold a cell it claimed and never published.
        int unblocked = StuckClaims.UnblockAll(_segment);
        if (unblocked > 0)
        {
            var counters = (ulong*)(_segment.Base + _segment.Header->CountersOffset);
            Interlocked.Add(ref *(long*)&counters[(int)NodeCounter.RingCellsUnblocked], unblocked);
            _log.LogWarning("unblocked {Count} ring cells claimed by producers that died before publishing them", unblocked);
        }
        return count;
    }

    private void ReapLoop()
    {
        while (!_stop.Wait(_reapInterval))
        {
            ReapOnce();
        }
    }

    /// <summary>Migration buffers the node proxy keeps for the next migration (tests, diagnostics).</summary>
    internal int KeptMigrationBuffers => _proxy?.KeptMigrationBuffers ?? 0;

    /// <summary>Tests and the fuzzer: <paramref name="datagram"/> as if received from the network (see NodeProxy.ReceiveInjected).</summary>
    internal void ReceiveInjected(ReadOnlySpan<byte> datagram) =>
        (_proxy ?? throw new InvalidOperationException("no proxy")).ReceiveInjected(datagram);

    /// <summary>Tests: copies served here pause once this many of their bytes are out (see NodeProxy.CopyPauseAt).</summary>
    internal long CopyPauseAt
    {
        set => (_proxy ?? throw new InvalidOperationException("no proxy")).CopyPauseAt = value;
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        StopControl();
        _stop.Set();
        _reaper.Join();
        foreach (Services.ServiceHost service in _services.All())
        {
            service.Dispose();
        }
        _proxy?.Dispose();
        _epochs.Delete();   // a clean stop: the services stopped with their state
        _services.Node?.Dispose();
        _metrics.Dispose();
        Volatile.Write(ref _segment.Header->State, SegmentLayout.SegmentShutDown);
        Ipc.Liveness.WakeAll(_segment);   // waiters of the node fail with HostDown instead of waiting on

        _segment.Unlink();
        _segment.Dispose();
        _stop.Dispose();
    }
}
