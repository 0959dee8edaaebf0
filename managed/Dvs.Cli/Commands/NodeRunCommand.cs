using System.CommandLine;
using Dvs.Configuration;
using Dvs.Hosting;
using Dvs.Services;
using Microsoft.Extensions.Logging;

namespace Dvs.Cli.Commands;

/// <summary>
/// <c>dvs node run --config node0.ini</c>: loads and checks the node ini file, starts the node host
/// with its control socket (see <see cref="ControlSocketPath"/>) and the services of its
/// <c>[service.*]</c> sections (every built-in kind is registered, so services migrated here can be
/// restored), keeps it until Ctrl-C or SIGTERM, then stops it cleanly. A bad file (an unknown
/// service kind included) exits with 2 before anything starts; a proxy thread that dies stops the
/// host with exit code 1.
/// </summary>
internal sealed class NodeRunCommand : Command
{
    private readonly Option<FileInfo> _config = new("--config", "-c")
    {
        Description = "The node ini file (see 'dvs config init')",
        Required = true,
    };

    public NodeRunCommand() : base("run", "Run the node host described by a node ini file until Ctrl-C / SIGTERM")
    {
        Add(_config);
        SetAction(RunAsync);
    }

    private async Task<int> RunAsync(ParseResult parse, CancellationToken cancel)
    {
        TextWriter output = parse.InvocationConfiguration.Output;
        TextWriter error = parse.InvocationConfiguration.Error;
        string path = parse.GetRequiredValue(_config).ToString(); // as typed, so messages match it
        using ILoggerFactory logs = CliLogging.Create(parse, LogLevel.Information);
        ILogger log = logs.CreateLogger("dvs.node");

        NodeConfig config;
        try
        {
            config = NodeConfig.Load(path);
        }
        catch (ConfigException e)
        {
            await error.WriteLineAsync(e.Message);
            return ExitCode.Usage;
        }

        foreach (ConfigDiagnostic warning in config.Warnings)
        {
            log.LogWarning("{Warning}", warning);
        }

        // The loader checks a service's DC and endpoint; only the host knows which kinds it can start.
        ConfigDiagnostic[] unknownKinds = config.Services
            .Where(s => !BuiltInServices.IsKnown(s.Kind))
            .Select(s => new ConfigDiagnostic(path, s.KindLine, $"service.{s.Name}", "kind",
                $"'{s.Kind}' is not a service kind this host can start (kinds: {string.Join(", ", BuiltInServices.Kinds)})"))
            .ToArray();
        if (unknownKinds.Length > 0)
        {
            await error.WriteLineAsync(new ConfigException(unknownKinds).Message);
            return ExitCode.Usage;
        }

        LocalNodeConfig node = config.Node;
        log.LogDebug("Configuration {File}: node {Name} (id {Id}), {Peers} peers, {Dcs} DCs",
            path, node.Name, node.Id, config.Peers.Count, config.Dcs.Count);

        NodeHostOptions options;
        try
        {
            options = config.ToNodeHostOptions();
        }
        catch (DvsException e)
        {
            // A valid file asking for what this build lacks (tcp / raw transport): still the file's to change.
            await error.WriteLineAsync($"dvs node run: {e.Message}");
            return ExitCode.Usage;
        }
        catch (ConfigException e)
        {
            // A host name that does not resolve: the file may be right and the DNS down, so 1, not 2.
            await error.WriteLineAsync($"dvs node run: {e.Message}");
            return ExitCode.Failure;
        }

        try
        {
            options.ControlSocket = ControlSocketPath.ForHost(node.Name);
        }
        catch (DvsException e)
        {
            await error.WriteLineAsync($"dvs node run: node {node.Name}: {e.Message}");
            return ExitCode.Failure;
        }

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        using SignalListener signals = SignalListener.For(parse, stop);
        NodeHost host;
        try
        {
            host = NodeHost.Start(options, logs.CreateLogger("dvs.proxy"));
        }
        catch (DvsException e)
        {
            await error.WriteLineAsync($"dvs node run: {StartFailure(path, config, e)}");
            return ExitCode.Failure;
        }

        bool failed = false;
        using (host)
        {
            log.LogDebug("Node segment {Segment} created (incarnation {Incarnation})", host.SegmentName, host.Incarnation);
            // Every kind on every host: a service migrated here must be restorable here.
            BuiltInServices.RegisterAll(host);
            var started = new List<string>();
            // Learn from the peers what they serve before serving anything: a peer declared down
            // counts as known, so the wait is bounded by the time it takes to declare one down.
            TimeSpan learn = TimeSpan.FromMilliseconds(3L * config.Cluster.PeerDownMs);
            foreach (int dcid in config.Services.Select(s => DcIdOf(config, s)).Distinct())
            {
                if (!host.WaitForDirectory(dcid, learn))
                {
                    log.LogWarning("DC {Dc}: not every peer announced its endpoints within {Wait}; starting the services anyway", dcid, learn);
                }
            }
            foreach (ServiceConfig service in config.Services)
            {
                int dcid = DcIdOf(config, service);
                try
                {
                    host.HostService(dcid, service.Endpoint, service.Kind);
                }
                catch (DvsException e) when (e.Error == DvsError.RmtProc)
                {
                    // This node restarted after the service migrated away: it lives on where it went.
                    EndpointStatus? where = host.GetStatus().Dcs.FirstOrDefault(d => d.DcId == dcid)?.Endpoints
                        .FirstOrDefault(ep => ep.Endpoint == service.Endpoint);
                    string served = where is { State: "remote" }
                        ? $"endpoint {service.Endpoint} of DC {service.Dc} is served by node {where.Owner} (epoch {where.Epoch})"
                        : e.Message;
                    log.LogWarning("{File}:{Line}: [service.{Name}] not started: {Served}", path, service.KindLine, service.Name, served);
                    started.Add($"service {service.Name} ({service.Kind}) not started: {served}");
                    continue;
                }
                catch (DvsException e)
                {
                    await error.WriteLineAsync(
                        $"dvs node run: {path}:{service.KindLine}: [service.{service.Name}] could not start on endpoint {service.Endpoint} of DC {service.Dc}: {e.Message}");
                    return ExitCode.Failure;
                }
                started.Add($"service {service.Name} ({service.Kind}) serving endpoint {service.Endpoint} of DC {service.Dc}");
            }
            // Copies of this node's migrations that peers held when it went down, for endpoints no
            // service here claimed: the current ones are served by their holders, stale ones dropped.
            host.SettleMigrationCopies();
            // Services this node had received by migration when it went down come back too (empty,
            // newer, "state lost"): its ini does not name them.
            host.RestoreLostServices();
            // One line on stdout once the host is up, so scripts and tests can wait for it; then one per service.
            await output.WriteLineAsync(
                $"node {node.Name} (id {node.Id}) of cluster {config.Cluster.Name} running, segment {host.SegmentName}, "
                + $"control socket {host.ControlSocket}; Ctrl-C or SIGTERM stops it");
            foreach (string line in started)
            {
                await output.WriteLineAsync(line);
            }
            await output.FlushAsync(CancellationToken.None);
            // Ctrl-C / SIGTERM: the normal way to stop; a proxy thread that died: exit with 1, so
            // that a supervisor restarts the host (its remote calls fail meanwhile, with NoProxy).
            var stopped = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            await using (stop.Token.Register(() => stopped.TrySetResult()))
            {
                if (await Task.WhenAny(stopped.Task, host.Failure) == host.Failure)
                {
                    Exception failure = await host.Failure;
                    log.LogCritical("Node {Name}: its proxy failed ({Failure}); stopping with exit code {Code}", node.Name, failure.Message, ExitCode.Failure);
                    await error.WriteLineAsync($"dvs node run: node {node.Name} failed: a proxy thread died ({failure.Message}); stopping");
                    failed = true;
                }
            }
        }

        log.LogDebug("Node {Name} stopped", node.Name);
        await output.WriteLineAsync($"node {node.Name} stopped");
        return failed ? ExitCode.Failure : ExitCode.Ok;
    }

    private static int DcIdOf(NodeConfig config, ServiceConfig service) =>
        config.Dcs.First(d => d.Name.Equals(service.Dc, StringComparison.OrdinalIgnoreCase)).DcId;

    /// <summary>
    /// Why the host did not start, at the line of the file that set what failed: the network
    /// channel (address in use or not on this machine, no such interface) is the [node] address or
    /// interface; the node segment (busy, /dev/shm) and the control socket are not in the file.
    /// </summary>
    private static string StartFailure(string path, NodeConfig config, DvsException e)
    {
        LocalNodeConfig node = config.Node;
        bool channel = config.Peers.Count > 0
            && e.Error is not (DvsError.NodeBusy or DvsError.Io or DvsError.BadFile or DvsError.AllocMem);
        if (!channel)
        {
            return $"node {node.Name} could not start: {e.Message}";
        }
        return node.Transport == TransportKind.Raw
            ? $"{path}:{node.InterfaceLine}: [node] interface: node {node.Name} could not start on {node.Interface}: {e.Message}"
            : $"{path}:{node.AddressLine}: [node] address: node {node.Name} could not listen on {node.Address}:{node.Port}: {e.Message}";
    }
}
