using System.CommandLine;
using Dvs.Configuration;
using Microsoft.Extensions.Logging;

namespace Dvs.Cli.Commands;

/// <summary>
/// <c>dvs node run --config node0.ini</c>: loads and checks the node ini file, starts the node host
/// and keeps it until Ctrl-C or SIGTERM, then stops it cleanly. A bad file exits with 2 before
/// anything starts.
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
        using ILoggerFactory logs = CliLogging.Create(parse);
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

        LocalNodeConfig node = config.Node;
        log.LogDebug("Configuration {File}: node {Name} (id {Id}), {Peers} peers, {Dcs} DCs",
            path, node.Name, node.Id, config.Peers.Count, config.Dcs.Count);

        NodeHost host;
        try
        {
            host = NodeHost.Start(config.ToNodeHostOptions(), logs.CreateLogger("dvs.proxy"));
        }
        catch (DvsException e)
        {
            await error.WriteLineAsync($"dvs node run: node {node.Name} could not start: {e.Message}");
            return ExitCode.Failure;
        }

        using (host)
        {
            log.LogDebug("Node segment {Segment} created (incarnation {Incarnation})", host.SegmentName, host.Incarnation);
            // One line on stdout once the host is up, so scripts and tests can wait for it.
            await output.WriteLineAsync(
                $"node {node.Name} (id {node.Id}) of cluster {config.Cluster.Name} running, segment {host.SegmentName}; "
                + "Ctrl-C or SIGTERM stops it");
            await output.FlushAsync(CancellationToken.None);
            try
            {
                await Task.Delay(Timeout.Infinite, cancel);
            }
            catch (OperationCanceledException)
            {
                // Ctrl-C / SIGTERM: the normal way to stop.
            }
        }

        log.LogDebug("Node {Name} stopped", node.Name);
        await output.WriteLineAsync($"node {node.Name} stopped");
        return ExitCode.Ok;
    }
}
