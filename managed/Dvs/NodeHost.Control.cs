using Microsoft.Extensions.Logging;
using Dvs.Hosting;

namespace Dvs;

// The control channel of a node host (dvs migrate, dvs status): the socket server and the
// single migration steps with their phase, epoch and state size.
public sealed partial class NodeHost
{
    private ControlServer? _control;
    private PeerOptions[] _peerOptions = [];
    private DcOptions[] _dcOptions = [];

    /// <summary>The control socket this host listens on; null when it has none.</summary>
    public string? ControlSocket => _control?.Path;

    private void StartControl(NodeHostOptions options)
    {
        _peerOptions = options.Network?.Peers.ToArray() ?? [];
        _dcOptions = options.Dcs.ToArray();
        if (options.ControlSocket is { } path)
        {
            _control = ControlServer.Start(path, this, _log);
        }
    }

    private void StopControl() => _control?.Dispose();

    /// <summary>migr_start, with the phase that failed and the state's size. Blocks up to <see cref="MigrationTimeout"/>.</summary>
    internal MigrationResult StartMigration(int dcid, int endpoint, int toNode)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        if (_proxy is null)
        {
            return new MigrationResult(DvsError.NoProxy, "start", 0, NodeId, toNode, clock.Elapsed, 0);
        }
        Count(NodeCounter.MigrationsStarted);
        DvsError error = _proxy.MigrateStart(dcid, endpoint, toNode, MigrationTimeout, out string phase, out long bytes);
        if (error != DvsError.Ok)
        {
            Count(NodeCounter.MigrationsRolledBack);
        }
        return Finish(new MigrationResult(error, error == DvsError.Ok ? "started" : phase, 0, NodeId, toNode, clock.Elapsed, bytes), dcid, endpoint, "start");
    }

    /// <summary>migr_commit, with the new epoch. Blocks up to <see cref="MigrationTimeout"/>.</summary>
    internal MigrationResult CommitMigration(int dcid, int endpoint)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        int target = TargetOf(dcid, endpoint);
        if (_proxy is null)
        {
            return new MigrationResult(DvsError.NoProxy, "commit", 0, NodeId, target, clock.Elapsed, 0);
        }
        DvsError error = _proxy.MigrateCommit(dcid, endpoint, MigrationTimeout, out uint epoch);
        if (error == DvsError.Ok)
        {
            Count(NodeCounter.MigrationsCommitted);
        }
        else if (error == DvsError.NotConnected)
        {
            Count(NodeCounter.MigrationsRolledBack);   // the target died before commit: rolled back
        }
        return Finish(new MigrationResult(error, error == DvsError.Ok ? "done" : "commit", epoch, NodeId, target, clock.Elapsed, 0), dcid, endpoint, "commit");
    }

    /// <summary>migr_rollback. Blocks up to <see cref="MigrationTimeout"/>.</summary>
    internal MigrationResult RollbackMigration(int dcid, int endpoint)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        int target = TargetOf(dcid, endpoint);
        DvsError error = _proxy is null ? DvsError.NoProxy : _proxy.MigrateRollback(dcid, endpoint, MigrationTimeout);
        if (error == DvsError.Ok)
        {
            Count(NodeCounter.MigrationsRolledBack);
        }
        return Finish(new MigrationResult(error, error == DvsError.Ok ? "rolled back" : "rollback", 0, NodeId, target, clock.Elapsed, 0), dcid, endpoint, "rollback");
    }

    // Every migration result goes into the duration histogram and is one activity (DvsTelemetry); a
    // failure is logged with its phase (the command line prints it too, but a host's log is where
    // an operator looks afterwards).
    private MigrationResult Finish(MigrationResult result, int dcid, int endpoint, string step = "migrate")
    {
        DvsTelemetry.RecordMigration(result, step, dcid, endpoint);
        if (result.Error != DvsError.Ok)
        {
            _log.LogWarning("migration {Step} of node {From} -> node {To} failed in phase {Phase}: {Error} after {Elapsed} ms",
                step, result.FromNode, result.ToNode, result.Phase, result.Error, (long)result.Elapsed.TotalMilliseconds);
        }
        return _metrics.Record(result, step);
    }

    // The target of a started migration, for the result (-1 when none is started).
    private int TargetOf(int dcid, int endpoint) => _proxy?.MigrationTarget(dcid, endpoint) ?? -1;

    /// <summary>The node's id, incarnation, peers (with their state), DCs with their endpoints and counters. Thread-safe.</summary>
    public NodeStatus GetStatus()
    {
        Node node = _services.Node ?? throw new ObjectDisposedException(nameof(NodeHost));
        var status = new NodeStatus
        {
            NodeId = NodeId,
            Name = NodeName,
            Incarnation = Incarnation,
            Segment = SegmentName,
            Build = _segment.BuildInfo,
        };
        foreach (PeerOptions peer in _peerOptions.OrderBy(p => p.NodeId))
        {
            status.Peers.Add(PeerOf(peer, node.GetPeerState(peer.NodeId)));
        }
        foreach (DcOptions dc in _dcOptions.OrderBy(d => d.DcId))
        {
            var dcStatus = new DcStatus { DcId = dc.DcId, Name = dc.Name };
            foreach (EndpointInfo info in node.ListEndpoints(dc.DcId))
            {
                Services.ServiceHost? service = _services.Find(dc.DcId, info.Endpoint);
                dcStatus.Endpoints.Add(new EndpointStatus
                {
                    Endpoint = info.Endpoint,
                    State = info.State,
                    Owner = info.OwnerNode,
                    Epoch = info.Epoch,
                    Name = info.Name,
                    Queue = info.QueueDepth,
                    Service = service is null ? null : new ServiceStatus { Kind = service.Kind, Executed = service.Executed, Repeats = service.Repeats },
                });
            }
            status.Dcs.Add(dcStatus);
        }
        foreach (NodeCounter counter in Enum.GetValues<NodeCounter>())
        {
            status.Counters[ToCamelCase(counter.ToString())] = node.GetCounter(counter);
        }
        return status;
    }

    // What the proxy keeps of a peer in the segment's node table (written by its outbound thread;
    // a status may see one field a poll newer than another, which is fine for a display).
    private unsafe PeerStatus PeerOf(PeerOptions peer, string state)
    {
        var status = new PeerStatus { NodeId = peer.NodeId, Name = peer.Name, State = state };
        if ((uint)peer.NodeId < Layout.SegmentLayout.MaxNodes)
        {
            var entry = (Layout.NodeEntry*)(_segment.Base + _segment.Header->NodesOffset) + peer.NodeId;
            status.Incarnation = Volatile.Read(ref entry->Incarnation);
            status.RttUs = Volatile.Read(ref entry->RttNs) / 1000.0;
            status.Retransmissions = Volatile.Read(ref entry->Retransmissions);
        }
        return status;
    }

    private static string ToCamelCase(string name) => char.ToLowerInvariant(name[0]) + name[1..];
}
