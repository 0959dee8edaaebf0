using Dvs.Configuration;
using Dvs.Services;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Dvs.Hosting;

/// <summary>
/// Runs a node host in the application, as <c>dvs node run</c> runs one: starts it with the checked
/// configuration, its ini services and the services registered through DI (each created by DI,
/// with its dependencies), and stops it with the application, removing its segment. A proxy
/// thread that dies stops the application with exit code 1, so that a supervisor restarts it.
/// </summary>
internal sealed partial class NodeHostService(
    IOptionsMonitor<DvsNodeHostOptions> options,
    IServiceProvider services,
    IEnumerable<DvsServiceRegistration> registrations,
    DvsNode handle,
    ILoggerFactory logs,
    IHostApplicationLifetime lifetime) : IHostedService, IDisposable
{
    private readonly ILogger _log = logs.CreateLogger("Dvs.Hosting");
    private readonly DvsServiceRegistration[] _registrations = registrations.ToArray();
    private NodeHost? _host;
    private Node? _node;
    private volatile bool _stopping;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        DvsNodeHostOptions current = options.CurrentValue;
        try
        {
            // Loaded by the start-up validation; loaded here when the application skips it.
            NodeConfig config = current.Loaded ?? NodeConfigSource.Load(current, _registrations.Select(r => r.Kind).ToArray());
            foreach (ConfigDiagnostic warning in config.Warnings)
            {
                LogConfigWarning(warning.ToString());
            }

            NodeHostOptions hostOptions = config.ToNodeHostOptions();
            if (current.ControlSocket)
            {
                hostOptions.ControlSocket = ControlSocketPath.ForHost(config.Node.Name);
            }

            _host = NodeHost.Start(hostOptions, logs.CreateLogger("Dvs.NodeHost"));
            StartServices(_host, config);
            _node = _host.Attach();
            handle.Set(_node, _host);
            _host.Failure.ContinueWith(OnProxyFailure, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            LogStarted(config.Node.Name, config.Node.Id, config.Cluster.Name, _host.SegmentName, _host.ControlSocket ?? "none");
        }
        catch (Exception e)
        {
            handle.Fail(e);
            Stop();   // nothing left in /dev/shm
            throw;
        }
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        string? name = _host?.NodeName;
        Stop();
        if (name is not null)
        {
            LogStopped(name);
        }
        return Task.CompletedTask;
    }

    public void Dispose() => Stop();

    private void StartServices(NodeHost host, NodeConfig config)
    {
        BuiltInServices.RegisterAll(host);
        foreach (DvsServiceRegistration registration in _registrations.DistinctBy(r => r.Kind))
        {
            Type type = registration.ServiceType;
            host.RegisterServiceKind(registration.Kind, () => (IMigratableService)ActivatorUtilities.CreateInstance(services, type));
        }

        var wanted = config.Services
            .Select(s => (DcId: config.Dcs.First(d => d.Name.Equals(s.Dc, StringComparison.OrdinalIgnoreCase)).DcId, s.Endpoint, s.Kind))
            .Concat(_registrations.Select(r => (r.DcId, r.Endpoint, r.Kind)))
            .ToArray();
        // Learn from the peers what they serve before serving anything (as dvs node run does): a
        // peer declared down counts as known, so the wait is bounded.
        TimeSpan learn = TimeSpan.FromMilliseconds(3L * config.Cluster.PeerDownMs);
        foreach (int dcid in wanted.Select(w => w.DcId).Distinct())
        {
            if (!host.WaitForDirectory(dcid, learn))
            {
                LogDirectoryLate(dcid, learn);
            }
        }
        foreach ((int dcid, int endpoint, string kind) in wanted)
        {
            try
            {
                host.HostService(dcid, endpoint, kind);
                LogServing(kind, endpoint, dcid);
            }
            catch (DvsException e) when (e.Error == DvsError.RmtProc)
            {
                // It migrated away before this node restarted: it lives on where it went.
                LogServedElsewhere(kind, endpoint, dcid, e.Message);
            }
        }
        host.SettleMigrationCopies();
        host.RestoreLostServices();
    }

    private void OnProxyFailure(Task<Exception> failure)
    {
        if (_stopping)
        {
            return;
        }
        LogProxyFailed(failure.Result.Message);
        Environment.ExitCode = 1;
        lifetime.StopApplication();
    }

    private void Stop()
    {
        _stopping = true;
        handle.Clear();
        Interlocked.Exchange(ref _node, null)?.Dispose();
        Interlocked.Exchange(ref _host, null)?.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Warning}")]
    private partial void LogConfigWarning(string warning);

    [LoggerMessage(Level = LogLevel.Information, Message = "Node {Name} (id {Id}) of cluster {Cluster} running, segment {Segment}, control socket {Control}")]
    private partial void LogStarted(string name, int id, string cluster, string segment, string control);

    [LoggerMessage(Level = LogLevel.Information, Message = "Node {Name} stopped")]
    private partial void LogStopped(string name);

    [LoggerMessage(Level = LogLevel.Warning, Message = "DC {Dc}: not every peer announced its endpoints within {Wait}; starting the services anyway")]
    private partial void LogDirectoryLate(int dc, TimeSpan wait);

    [LoggerMessage(Level = LogLevel.Information, Message = "Service {Kind} serving endpoint {Endpoint} of DC {Dc}")]
    private partial void LogServing(string kind, int endpoint, int dc);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Service {Kind} on endpoint {Endpoint} of DC {Dc} not started: {Why}")]
    private partial void LogServedElsewhere(string kind, int endpoint, int dc, string why);

    [LoggerMessage(Level = LogLevel.Critical, Message = "A proxy thread of the node host died ({Failure}); stopping the application with exit code 1")]
    private partial void LogProxyFailed(string failure);
}
