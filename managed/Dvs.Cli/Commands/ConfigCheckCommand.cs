using System.CommandLine;
using System.Globalization;
using Dvs.Configuration;
using Spectre.Console;

namespace Dvs.Cli.Commands;

/// <summary>
/// <c>dvs config check node0.ini</c>: reads and checks a node ini file. Errors go to stderr, one per
/// line as <c>file:line: [section] key: what</c>, and exit with 2; a valid file prints a summary of
/// the node, its peers, DCs and services, then its warnings, and exits with 0.
/// </summary>
internal sealed class ConfigCheckCommand : Command
{
    private readonly Argument<FileInfo> _file = new("file") { Description = "The node ini file" };

    public ConfigCheckCommand() : base("check", "Check a node ini file and print what it configures")
    {
        Add(_file);
        SetAction(Run);
    }

    private int Run(ParseResult parse)
    {
        string path = parse.GetRequiredValue(_file).ToString();
        NodeConfig config;
        try
        {
            config = NodeConfig.Load(path);
        }
        catch (ConfigException e)
        {
            TextWriter error = parse.InvocationConfiguration.Error;
            error.WriteLine(e.Message);
            error.WriteLine(e.Errors.Count == 1 ? "1 error" : $"{e.Errors.Count} errors");
            return ExitCode.Usage;
        }

        TextWriter output = parse.InvocationConfiguration.Output;
        Print(CliConsole.For(output), path, config);
        foreach (ConfigDiagnostic warning in config.Warnings)
        {
            // Not through Spectre: it would wrap the line at the console width, and the
            // file:line: form must stay on one line for editors to jump to it.
            output.WriteLine($"warning: {warning}");
        }

        return ExitCode.Ok;
    }

    private static void Print(IAnsiConsole console, string path, NodeConfig config)
    {
        LocalNodeConfig node = config.Node;
        ClusterConfig cluster = config.Cluster;
        string where = node.Transport == TransportKind.Raw
            ? $"raw on {node.Interface}"
            : $"{node.Transport.ToString().ToLowerInvariant()} {node.Address}:{node.Port}";

        var summary = new Table().Title(Markup.Escape($"{path}: valid")).AddColumns("", "");
        summary.HideHeaders();
        summary.AddRow("node", Markup.Escape($"{node.Name} (id {node.Id}), {where}"));
        summary.AddRow("cluster", Markup.Escape($"{cluster.Name}, {config.Peers.Count + 1} nodes"));
        summary.AddRow("key", Markup.Escape($"{cluster.KeyFile} ({cluster.Key.Length} bytes)"));
        summary.AddRow("heartbeat", Markup.Escape($"every {cluster.HeartbeatMs} ms, peer down after {cluster.PeerDownMs} ms"));
        summary.AddRow("ipc", Markup.Escape($"ring capacity {config.Ipc.RingCapacity}, spin {config.Ipc.SpinUs} us"));
        console.Write(summary);

        if (config.Peers.Count > 0)
        {
            var peers = new Table().Title("peers").AddColumns("name", "id", "address", "port");
            foreach (PeerConfig peer in config.Peers)
            {
                peers.AddRow(Markup.Escape(peer.Name), Number(peer.Id), Markup.Escape(peer.Address),
                    peer.Port == 0 ? "-" : Number(peer.Port));
            }

            console.Write(peers);
        }

        if (config.Dcs.Count > 0)
        {
            var dcs = new Table().Title("DCs").AddColumns("name", "dcid", "nodes", "nr_procs", "nr_tasks", "nr_sysprocs");
            foreach (DcConfig dc in config.Dcs)
            {
                dcs.AddRow(Markup.Escape(dc.Name), Number(dc.DcId), Markup.Escape(NodeNames(config, dc)),
                    Number(dc.NrProcs), Number(dc.NrTasks),
                    // nr_sysprocs counts the task slots too (as in DVS): say which endpoints it makes privileged.
                    Markup.Escape($"{Number(dc.NrSysProcs)} (endpoints {Number(-dc.NrTasks)}..{Number(dc.NrSysProcs - dc.NrTasks - 1)} privileged)"));
            }

            console.Write(dcs);
        }

        if (config.Services.Count > 0)
        {
            var services = new Table().Title("services").AddColumns("name", "dc", "endpoint", "kind", "args");
            foreach (ServiceConfig service in config.Services)
            {
                services.AddRow(Markup.Escape(service.Name), Markup.Escape(service.Dc), Number(service.Endpoint),
                    Markup.Escape(service.Kind), Markup.Escape(service.Args));
            }

            console.Write(services);
        }
    }

    private static string NodeNames(NodeConfig config, DcConfig dc) => string.Join(", ", dc.Nodes.Select(id =>
        id == config.Node.Id ? config.Node.Name : config.FindPeer(id)?.Name ?? Number(id)));

    private static string Number(int value) => value.ToString(CultureInfo.InvariantCulture);
}
