// Longer than 500 lines: the serving loop and the migration hooks (pause, snapshot, package,
// pre-copy log and delta, standby hand-over) all act on the serving thread's state.
using System.Buffers;
using System.Runtime.InteropServices;
using Dvs.Ipc;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Dvs.Services;

/// <summary>
/// Runs an <see cref="IMigratableService"/> on an endpoint: one thread taking requests
/// (any message: a one-way Send is executed without a reply), answering repeats from the exactly-once table, executing the rest and
/// replying. A migration pauses it at a message boundary, takes its state, table and held
/// requests, and either abandons it (commit: the endpoint lives on elsewhere) or resumes it
/// (rollback: the held requests are served first).
/// </summary>
public sealed class ServiceHost : IDisposable
{
    // Set before the thread serves: in the constructor, or by Attach (a host started ahead of its endpoint).
    private Endpoint _endpoint = null!;
    private readonly ManualResetEventSlim? _attached;
    private readonly IMigratableService _service;
    private readonly ExactlyOnceTable _table;
    private readonly Thread _thread;
    private readonly ManualResetEventSlim _paused = new(false);
    private readonly ManualResetEventSlim _resume = new(false);
    private readonly ILogger _log;
    private volatile bool _pauseRequested;
    private volatile bool _stopping;
    private int _stopRequested;
    private readonly bool _external;
    private long _executed;
    // Set when the pre-copy log has room again or the service must look at its flags (pause, stop).
    private readonly ManualResetEventSlim _logRoom = new(false);
    private volatile bool _precopyLogFull;
    private long _repeats;
    // A service re-created empty after its state was lost: the clients told so (StateLost) once each.
    private readonly HashSet<(int Client, ulong Incarnation)>? _told;
    // Pre-copy: a snapshot asked for by the node host, taken by the serving thread at a message
    // boundary; from then on the requests it executes are logged until the pause.
    private SnapshotRequest? _snapshotRequest;
    private List<LoggedRequest>? _executedLog;

    private sealed class SnapshotRequest(IBufferWriter<byte> into, uint epoch)
    {
        public IBufferWriter<byte> Into { get; } = into;
        public uint Epoch { get; } = epoch;
        public MigrationPackage? Header { get; set; }
        public Exception? Failure { get; set; }
        public ManualResetEventSlim Done { get; } = new(false);
        /// <summary>Running, then <see cref="Taken"/> (the serving thread finished it) or <see cref="Abandoned"/> (the host gave up waiting).</summary>
        public int Outcome;
        public const int Taken = 1;
        public const int Abandoned = 2;
    }

    internal ServiceHost(Endpoint endpoint, IMigratableService service, string kind, ExactlyOnceTable? table, ILogger? log,
        bool external = false, bool stateLost = false)
        : this(endpoint, endpoint.Number, service, kind, table, log, external, stateLost)
    {
    }

    private ServiceHost(Endpoint? endpoint, int number, IMigratableService service, string kind, ExactlyOnceTable? table, ILogger? log,
        bool external, bool stateLost = false)
    {
        _external = external;
        _told = stateLost ? new HashSet<(int, ulong)>() : null;
        if (endpoint is null)
        {
            _attached = new ManualResetEventSlim(false);
        }
        else
        {
            _endpoint = endpoint;
        }
        _service = service;
        _table = table ?? new ExactlyOnceTable();
        _log = log ?? NullLogger.Instance;
        Kind = kind;
        _thread = new Thread(Serve) { IsBackground = true, Name = $"dvs-service-{number}" };
        _thread.Start();
    }

    public int DcId => _endpoint.DcId;
    public int EndpointNumber => _endpoint.Number;
    public string Kind { get; }
    public IMigratableService Service => _service;

    /// <summary>Requests executed here (repeats answered from the table are not counted).</summary>
    public long Executed => Interlocked.Read(ref _executed);

    /// <summary>
    /// Requests replayed here when the service arrived by a pre-copied migration: executed on the
    /// old node after the snapshot (their clients had their replies), executed again here silently
    /// so the state catches up. Not counted in <see cref="Executed"/>.
    /// </summary>
    public long Replayed { get; internal set; }

    /// <summary>
    /// Requests a pre-copy logs at most (executed after the snapshot, replayed on the target). At the
    /// limit the service takes no more requests until the pause: they wait in its ring and travel
    /// as held messages, so a slow transfer under load cannot grow the log without bound.
    /// </summary>
    internal int PrecopyLogLimit { get; set; } = 65_536;

    /// <summary>The pre-copy's log reached <see cref="PrecopyLogLimit"/>: the service waits for the pause.</summary>
    internal bool PrecopyLogFull => _precopyLogFull;

    /// <summary>Repeated requests answered from the exactly-once table.</summary>
    public long Repeats => Interlocked.Read(ref _repeats);

    internal Endpoint Endpoint => _endpoint;

    internal ExactlyOnceTable Table => _table;

    /// <summary>
    /// A host whose thread starts now and serves once <see cref="Attach"/> gives it its endpoint: a
    /// migration's target starts it while preparing, so the commit does not wait for a new thread
    /// (measured: ~0.5 ms on the busy 2-vCPU machine, most of the commit).
    /// </summary>
    internal static ServiceHost Prestart(int endpointNumber, IMigratableService service, string kind, ExactlyOnceTable table, ILogger? log) =>
        new(null, endpointNumber, service, kind, table, log, external: false);

    /// <summary>Gives a prestarted host its endpoint: it serves from now on. Once.</summary>
    internal void Attach(Endpoint endpoint)
    {
        _endpoint = endpoint;
        _attached!.Set();   // publishes the endpoint (and the table and service prepared before) to the thread
    }

    private void Serve()
    {
        if (_attached is not null)
        {
            _attached.Wait();
            if (_stopping)
            {
                return;
            }
        }
        while (!_stopping)
        {
            if (_pauseRequested)
            {
                _paused.Set();
                _resume.Wait();
                _resume.Reset();
                _paused.Reset();   // a later Pause must wait for a later boundary, not see this one
                continue;
            }
            if (Volatile.Read(ref _snapshotRequest) is not null && Interlocked.Exchange(ref _snapshotRequest, null) is { } snapshot)
            {
                TakeSnapshot(snapshot);
                continue;
            }
            if (_executedLog is { } log && log.Count >= PrecopyLogLimit)
            {
                WaitForLogRoom();
                continue;
            }
            if (_external && (_endpoint.Flags & Layout.SlotFlags.MigrateRequest) != 0)
            {
                if (MigrateOut())
                {
                    return;
                }
                continue;
            }
            // Any message, not only requests: a one-way Send is executed too (no reply, no table
            // entry), in its sender's order among its requests.
            DvsError error = _endpoint.Receive(Dvs.EndpointNumber.Any, out Message request, DvsTimeout.FromMilliseconds(100));
            if (error is DvsError.TimedOut or DvsError.Intr)
            {
                continue;
            }
            if (error != DvsError.Ok)
            {
                if (!_stopping && !_pauseRequested)
                {
                    _log.LogWarning("service {Kind} on endpoint {Endpoint} stopped: {Error}", Kind, _endpoint.Number, error);
                }
                if (_pauseRequested)
                {
                    continue;
                }
                return;
            }
            if (request.IsNotify)
            {
                continue;   // a service has no use for notifications
            }
            if (!_endpoint.LastTakenWasRequest)
            {
                ExecuteOneWay(in request);
                continue;
            }
            int sequence = _endpoint.RequestSequenceOf(request.Source);
            ulong incarnation = _endpoint.RequestIncarnationOf(request.Source);
            if (_table.TryGetReply(request.Source, incarnation, sequence, out Message cached))
            {
                Interlocked.Increment(ref _repeats);
                _endpoint.Reply(request.Source, in cached);
                continue;
            }
            if (_told is not null && _told.Add((request.Source, incarnation)))
            {
                // Its earlier requests, and the state they made, are gone: say so before serving it.
                _endpoint.ReplyFailure(request.Source, DvsError.StateLost);
                continue;
            }
            Message reply;
            try
            {
                reply = _service.Execute(in request);
            }
            catch (Exception e)
            {
                _log.LogError(e, "service {Kind} failed on a request from {Client}", Kind, request.Source);
                reply = new Message((int)DvsError.Generic);
            }
            Interlocked.Increment(ref _executed);
            _table.Record(request.Source, incarnation, sequence, in reply);
            _executedLog?.Add(new LoggedRequest(request.Source, incarnation, sequence, request));
            _endpoint.Reply(request.Source, in reply);
        }
    }

    /// <summary>A one-way Send: executed for its effect (a pre-copy logs it with sequence 0 for the replay), no reply.</summary>
    private void ExecuteOneWay(in Message message)
    {
        try
        {
            _service.Execute(in message);
        }
        catch (Exception e)
        {
            _log.LogError(e, "service {Kind} failed on a one-way message from {Client}", Kind, message.Source);
        }
        Interlocked.Increment(ref _executed);
        _executedLog?.Add(new LoggedRequest(message.Source, 0, 0, message));
    }

    /// <summary>
    /// Runs <paramref name="service"/> on <paramref name="endpoint"/> in this process, migratable
    /// by the node host: when the host migrates it, this process writes its package, and stops
    /// serving at commit (or goes on after a rollback). Thread-safe to dispose.
    /// </summary>
    public static ServiceHost Start(Node node, int dcid, int endpoint, IMigratableService service, string kind, ILogger? log = null)
    {
        ValidateKind(kind);
        Endpoint bound = node.Bind(dcid, endpoint, kind);
        bound.SetFlags(Layout.SlotFlags.Service);
        return new ServiceHost(bound, service, kind, null, log, external: true);
    }

    /// <summary>
    /// Waits in this process for a service of <paramref name="kind"/> to be migrated to this node
    /// (a standby, bound on <paramref name="standbyEndpoint"/> meanwhile), then restores it with
    /// <paramref name="factory"/> and serves it. Null when nothing came within the timeout.
    /// </summary>
    public static ServiceHost? Standby(Node node, int dcid, int standbyEndpoint, string kind, Func<IMigratableService> factory,
        TimeSpan timeout, Action? ready = null, ILogger? log = null)
    {
        ValidateKind(kind);
        using Endpoint standby = node.Bind(dcid, standbyEndpoint, kind);
        standby.SetFlags(Layout.SlotFlags.Standby);
        ready?.Invoke();
        if (!standby.WaitForFlags((f, _) => (f & Layout.SlotFlags.Committed) != 0, timeout))
        {
            return null;
        }
        (int dc, int endpoint) = standby.HandedOver;
        string path = PackagePath(node.Name, dc, endpoint);
        MigrationPackage package = MemoryPack.MemoryPackSerializer.Deserialize<MigrationPackage>(File.ReadAllBytes(path))
            ?? throw new DvsException(DvsError.BadValue, $"migration package {path} is empty");
        File.Delete(path);
        IMigratableService service = factory();
        (ExactlyOnceTable table, List<HeldMessage> held) = Unpack(package, service);
        string deltaPath = DeltaPath(path);
        if (File.Exists(deltaPath))
        {
            // It was pre-copied: what it executed after its snapshot is replayed here.
            MigrationDelta delta = MemoryPack.MemoryPackSerializer.Deserialize<MigrationDelta>(File.ReadAllBytes(deltaPath))
                ?? throw new DvsException(DvsError.BadValue, $"migration delta {deltaPath} is empty");
            File.Delete(deltaPath);
            Replay(delta, service, table, held);
        }
        DvsError error = node.WaitForBind(dc, endpoint, DvsTimeout.FromMilliseconds(10_000), out Endpoint? bound);
        if (error != DvsError.Ok)
        {
            throw new DvsException(error, $"the migrated endpoint {endpoint} of DC {dc} was not bound to this process");
        }
        bound!.Requeue(held);
        bound.SetName(kind);
        bound.SetFlags(Layout.SlotFlags.Service);
        return new ServiceHost(bound, service, kind, table, log, external: true);
    }

    private static void ValidateKind(string kind)
    {
        if (string.IsNullOrEmpty(kind) || System.Text.Encoding.UTF8.GetByteCount(kind) > 15)
        {
            throw new ArgumentException("a service kind has 1 to 15 bytes", nameof(kind));
        }
    }

    /// <summary>Writes a package readable by this user only (it holds the service's state).</summary>
    internal static void WritePackage(string path, byte[] bytes)
    {
        using var file = new FileStream(path, new FileStreamOptions
        {
            Mode = FileMode.Create,
            Access = FileAccess.Write,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        });
        file.Write(bytes);
    }

    /// <summary>Where a standby process finds the delta of a pre-copied service, beside its package.</summary>
    internal static string DeltaPath(string packagePath) => packagePath + "-delta";

    /// <summary>Where a service in its own process and its node host exchange a migration package.</summary>
    internal static string PackagePath(string nodeName, int dc, int endpoint) => $"/dev/shm/dvs-{nodeName}-pkg-{dc}-{endpoint}";

    /// <summary>The host asked this process to migrate: write the package, then stop (commit) or go on (rollback).</summary>
    private bool MigrateOut()
    {
        var held = new List<HeldMessage>();
        MigrationPackage package = TakePackage(0, held);   // the host sets the epoch
        string path = PackagePath(_endpoint.OwnerNode.Name, _endpoint.DcId, _endpoint.Number);
        WritePackage(path, MemoryPack.MemoryPackSerializer.Serialize(package));
        _endpoint.SetFlags(Layout.SlotFlags.Packaged);
        _endpoint.RingProxy();
        _endpoint.WaitForFlags((f, state) => (f & (Layout.SlotFlags.Committed | Layout.SlotFlags.MigrateRequest)) != Layout.SlotFlags.MigrateRequest
            || state != Layout.SegmentLayout.SlotMigrating, TimeSpan.FromMinutes(10));
        if ((_endpoint.Flags & Layout.SlotFlags.Committed) != 0 || _endpoint.SlotState == Layout.SegmentLayout.SlotRemote)
        {
            _endpoint.Abandon();   // it lives on elsewhere now
            return true;
        }
        _endpoint.ClearFlags(Layout.SlotFlags.Packaged);
        if (held.Count > 0)
        {
            _endpoint.Requeue(held);
        }
        return false;
    }

    /// <summary>
    /// Pre-copy, first step (node host): the serving thread writes the state into
    /// <paramref name="into"/> at the next message boundary and returns the package without it
    /// (table; nothing held), then serves on, logging what it executes until the pause
    /// (<see cref="TakeDelta"/>). Blocks until the snapshot is taken; null on timeout (nothing
    /// taken, nothing logged), or when the service's snapshot threw (logged here).
    /// <paramref name="stillWriting"/>: the snapshot was abandoned while it ran, so it may still
    /// write into <paramref name="into"/>; the caller must never reuse that buffer.
    /// </summary>
    internal MigrationPackage? BeginPrecopy(IBufferWriter<byte> into, uint newEpoch, TimeSpan timeout, out bool stillWriting)
    {
        stillWriting = false;
        var request = new SnapshotRequest(into, newEpoch);
        Volatile.Write(ref _snapshotRequest, request);
        _endpoint.Interrupt();
        if (!request.Done.Wait(timeout) && Interlocked.CompareExchange(ref _snapshotRequest, null, request) == request)
        {
            request.Done.Dispose();
            return null;   // withdrawn before the serving thread took it
        }
        // Taken: it completes within the snapshot's time, which gets the same bound again. Past it
        // the host gives up: the snapshot, when it ends, starts no log and nobody reads it.
        if (!request.Done.Wait(timeout) &&
            Interlocked.CompareExchange(ref request.Outcome, SnapshotRequest.Abandoned, 0) == 0)
        {
            _log.LogError("the snapshot of service {Kind} on endpoint {Endpoint} did not end within {Timeout}: migration given up",
                Kind, _endpoint.Number, timeout);
            stillWriting = true;
            return null;   // Done stays undisposed: the serving thread still sets it
        }
        request.Done.Wait();   // finished already (Outcome is Taken): Done is being set
        request.Done.Dispose();
        if (request.Failure is not null)
        {
            _log.LogError(request.Failure, "the snapshot of service {Kind} on endpoint {Endpoint} failed", Kind, _endpoint.Number);
            return null;   // it serves on, nothing logged
        }
        return request.Header;
    }

    /// <summary>
    /// The pre-copy's log is full: wait (requests stay in the ring) until the pause, the end of the
    /// pre-copy or a stop, each of which sets <see cref="_logRoom"/>; the loop then looks again.
    /// </summary>
    private void WaitForLogRoom()
    {
        if (!_precopyLogFull)
        {
            _precopyLogFull = true;
            _log.LogInformation("service {Kind} on endpoint {Endpoint}: pre-copy log full ({Limit} requests), waiting for the pause",
                Kind, _endpoint.Number, PrecopyLogLimit);
        }
        _logRoom.Wait(TimeSpan.FromMilliseconds(100));
        _logRoom.Reset();   // a set that came before the flag it announces is seen by the next pass's checks
    }

    private void TakeSnapshot(SnapshotRequest request)
    {
        try
        {
            _service.Snapshot(request.Into);
            request.Header = PackageHeader(request.Epoch, []);
            if (Interlocked.CompareExchange(ref request.Outcome, SnapshotRequest.Taken, 0) == 0)
            {
                _precopyLogFull = false;
                _executedLog = new List<LoggedRequest>(256);
            }
        }
        catch (Exception e)
        {
            request.Failure = e;
        }
        request.Done.Set();
    }

    /// <summary>
    /// A pre-copy that will not finish (rollback before the pause): stop logging, unless a later
    /// pre-copy already started its own log (a rollback that ran late).
    /// </summary>
    internal void EndPrecopy(object? log)
    {
        Interlocked.CompareExchange(ref _executedLog, null, log as List<LoggedRequest>);
        _logRoom.Set();
    }

    /// <summary>The log of the pre-copy under way (for <see cref="EndPrecopy"/>); set at the snapshot.</summary>
    internal object? PrecopyLog => Volatile.Read(ref _executedLog);

    /// <summary>Pre-copy, last step: the requests executed since the snapshot and the held ones. Paused only.</summary>
    internal MigrationDelta TakeDelta(List<HeldMessage> held)
    {
        _endpoint.DrainHeld(held);
        List<LoggedRequest> log = _executedLog ?? [];
        _executedLog = null;
        _precopyLogFull = false;
        var requests = new Message[log.Count];
        for (int i = 0; i < log.Count; i++)
        {
            requests[i] = log[i].Request;
        }
        var heldMessages = held.Select(h => h.Message).ToArray();
        return new MigrationDelta
        {
            LogClients = log.Select(l => l.Client).ToArray(),
            LogIncarnations = log.Select(l => l.Incarnation).ToArray(),
            LogSequences = log.Select(l => l.Sequence).ToArray(),
            LogRequests = MemoryMarshal.AsBytes(requests.AsSpan()).ToArray(),
            Held = MemoryMarshal.AsBytes(heldMessages.AsSpan()).ToArray(),
            HeldMeta = held.Select(h => h.Meta).ToArray(),
            HeldIncarnations = held.Select(h => h.Incarnation).ToArray(),
        };
    }

    /// <summary>
    /// Target side of a pre-copy: replays the logged requests on the restored service, in order and
    /// silently (their clients have their replies), recording them in the table, and appends the
    /// held requests to <paramref name="held"/>. Returns how many were replayed.
    /// </summary>
    internal static int Replay(MigrationDelta delta, IMigratableService service, ExactlyOnceTable table, List<HeldMessage> held)
    {
        ReadOnlySpan<Message> requests = MemoryMarshal.Cast<byte, Message>(delta.LogRequests);
        ReadOnlySpan<Message> heldMessages = MemoryMarshal.Cast<byte, Message>(delta.Held);
        if (delta.LogClients.Length != requests.Length || delta.LogIncarnations.Length != requests.Length
            || delta.LogSequences.Length != requests.Length || delta.HeldMeta.Length != heldMessages.Length
            || delta.HeldIncarnations.Length != heldMessages.Length)
        {
            throw new DvsException(DvsError.BadValue, "a migration delta whose columns have different lengths");
        }
        for (int i = 0; i < requests.Length; i++)
        {
            Message reply;
            try
            {
                reply = service.Execute(in requests[i]);
            }
            catch (Exception)
            {
                reply = new Message((int)DvsError.Generic);   // what the old node replied for it too
            }
            if (delta.LogSequences[i] != 0)   // 0: a one-way message, which has no reply to keep
            {
                table.Record(delta.LogClients[i], delta.LogIncarnations[i], delta.LogSequences[i], in reply);
            }
        }
        for (int i = 0; i < heldMessages.Length; i++)
        {
            held.Add(new HeldMessage(heldMessages[i], delta.HeldMeta[i], delta.HeldIncarnations[i]));
        }
        return requests.Length;
    }

    /// <summary>Stops taking requests after the current one (a message boundary). False on timeout.</summary>
    internal bool Pause(TimeSpan timeout)
    {
        _paused.Reset();
        _pauseRequested = true;
        _endpoint.Interrupt();
        _logRoom.Set();
        return _paused.Wait(timeout);
    }

    /// <summary>Serves again (rollback), <paramref name="held"/> first.</summary>
    internal void Resume(IReadOnlyList<HeldMessage>? held)
    {
        if (held is { Count: > 0 })
        {
            _endpoint.Requeue(held);
        }
        _pauseRequested = false;
        _resume.Set();
    }

    /// <summary>
    /// The package without the state, which goes into <paramref name="state"/> (a buffer reused
    /// across migrations); the host must be paused.
    /// </summary>
    internal MigrationPackage TakePackage(uint newEpoch, List<HeldMessage> held, IBufferWriter<byte> state)
    {
        _endpoint.DrainHeld(held);
        _service.Snapshot(state);
        return PackageHeader(newEpoch, held);
    }

    /// <summary>Builds the package that moves with the endpoint; the host must be paused.</summary>
    internal MigrationPackage TakePackage(uint newEpoch, List<HeldMessage> held)
    {
        _endpoint.DrainHeld(held);
        MigrationPackage package = PackageHeader(newEpoch, held);
        package.State = _service.Snapshot();
        return package;
    }

    private MigrationPackage PackageHeader(uint newEpoch, List<HeldMessage> held)
    {
        var entries = _table.Entries.ToArray();
        var replies = new Message[entries.Length];
        for (int i = 0; i < entries.Length; i++)
        {
            replies[i] = entries[i].Reply;
        }
        var heldMessages = held.Select(h => h.Message).ToArray();
        return new MigrationPackage
        {
            DcId = _endpoint.DcId,
            Endpoint = _endpoint.Number,
            Kind = Kind,
            Epoch = newEpoch,
            TableClients = entries.Select(e => e.Client).ToArray(),
            TableIncarnations = entries.Select(e => e.Incarnation).ToArray(),
            TableSequences = entries.Select(e => e.Sequence).ToArray(),
            TableReplies = MemoryMarshal.AsBytes(replies.AsSpan()).ToArray(),
            Held = MemoryMarshal.AsBytes(heldMessages.AsSpan()).ToArray(),
            HeldMeta = held.Select(h => h.Meta).ToArray(),
            HeldIncarnations = held.Select(h => h.Incarnation).ToArray(),
        };
    }

    /// <summary>Restores a service and its table from a package (on the target node).</summary>
    internal static (ExactlyOnceTable Table, List<HeldMessage> Held) Unpack(MigrationPackage package, IMigratableService service) =>
        Unpack(package, package.State, service);

    /// <summary>As above, with the state apart from the package (it travelled after it).</summary>
    internal static (ExactlyOnceTable Table, List<HeldMessage> Held) Unpack(MigrationPackage package, ReadOnlySpan<byte> state,
        IMigratableService service)
    {
        ReadOnlySpan<Message> replies = MemoryMarshal.Cast<byte, Message>(package.TableReplies);
        ReadOnlySpan<Message> held = MemoryMarshal.Cast<byte, Message>(package.Held);
        int entries = package.TableClients.Length;
        if (package.TableIncarnations.Length != entries || package.TableSequences.Length != entries || replies.Length != entries
            || package.HeldMeta.Length != held.Length || package.HeldIncarnations.Length != held.Length)
        {
            throw new DvsException(DvsError.BadValue, "a migration package whose table or held queue has columns of different lengths");
        }
        service.Restore(state);
        var table = new ExactlyOnceTable();
        for (int i = 0; i < package.TableClients.Length; i++)
        {
            table.Record(package.TableClients[i], package.TableIncarnations[i], package.TableSequences[i], in replies[i]);
        }
        var list = new List<HeldMessage>(held.Length);
        for (int i = 0; i < held.Length; i++)
        {
            list.Add(new HeldMessage(held[i], package.HeldMeta[i], package.HeldIncarnations[i]));
        }
        return (table, list);
    }

    /// <summary>Waits until this host stops serving (migrated away, stopped or failed). False on timeout.</summary>
    public bool Join(TimeSpan timeout) => _thread.Join(timeout);

    /// <summary>
    /// Tells the thread to stop after the request it executes (it takes no other); returns at
    /// once. <see cref="Stop"/> then waits for it.
    /// </summary>
    internal void RequestStop()
    {
        // Once: a later Stop (the caller of a commit, after its node host stopped the host already
        // on its way down) must not touch an endpoint whose segment may be unmapped by now.
        if (Interlocked.Exchange(ref _stopRequested, 1) == 0)
        {
            _stopping = true;
            _endpoint?.Interrupt();
            _logRoom.Set();
            _resume.Set();
            _attached?.Set();
        }
    }

    /// <summary>Stops the thread; the endpoint is left as it is (the caller unbinds or abandons it).</summary>
    internal void Stop()
    {
        RequestStop();
        if (Thread.CurrentThread != _thread)
        {
            _thread.Join();
        }
    }

    /// <summary>Stops serving and unbinds the endpoint (unless it migrated away).</summary>
    public void Dispose()
    {
        Stop();
        _endpoint?.Dispose();   // after a migration the endpoint was abandoned: a no-op
        _paused.Dispose();
        _resume.Dispose();
        _attached?.Dispose();
    }
}
