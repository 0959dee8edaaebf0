using System.CommandLine;
using Dvs.Configuration;

namespace Dvs.Cli.Commands;

/// <summary>
/// <c>dvs config init --nodes 3 --dir cluster</c>: writes node0.ini.. and a fresh cluster key (mode
/// 0600) for a cluster of nodes on 127.0.0.1, one UDP port each, with one DC spanning all of them.
/// </summary>
internal sealed class ConfigInitCommand : Command
{
    private readonly Option<int> _nodes = new("--nodes", "-n")
    {
        Description = $"Number of nodes (1..{NodeConfig.MaxNodes})",
        DefaultValueFactory = _ => LocalCluster.DefaultNodeCount,
    };

    private readonly Option<DirectoryInfo> _dir = new("--dir", "-d")
    {
        Description = "Folder to write the files into (created if needed)",
        DefaultValueFactory = _ => new DirectoryInfo("."),
    };

    private readonly Option<int> _basePort = new("--base-port")
    {
        Description = "UDP port of node0; node n uses base-port + n",
        DefaultValueFactory = _ => LocalCluster.DefaultBasePort,
    };

    private readonly Option<string> _cluster = new("--cluster")
    {
        Description = "Cluster name",
        DefaultValueFactory = _ => "dvs",
    };

    private readonly Option<string> _prefix = new("--prefix")
    {
        Description = "Node names are <prefix>0, <prefix>1, ...; node segments are named after nodes, so two clusters on one machine need different prefixes",
        DefaultValueFactory = _ => LocalCluster.DefaultNamePrefix,
    };

    private readonly Option<bool> _force = new("--force")
    {
        Description = "Replace existing files (and so the cluster key)",
    };

    public ConfigInitCommand() : base("init", "Write node ini files and a cluster key for a cluster on this machine")
    {
        Add(_nodes);
        Add(_dir);
        Add(_basePort);
        Add(_cluster);
        Add(_prefix);
        Add(_force);
        SetAction(Run);
    }

    private int Run(ParseResult parse)
    {
        TextWriter output = parse.InvocationConfiguration.Output;
        TextWriter error = parse.InvocationConfiguration.Error;
        string dir = parse.GetRequiredValue(_dir).ToString();
        int nodes = parse.GetValue(_nodes);
        int basePort = parse.GetValue(_basePort);
        string cluster = parse.GetRequiredValue(_cluster);
        string prefix = parse.GetRequiredValue(_prefix);
        bool force = parse.GetValue(_force);
        // Checked here rather than as option validators: those also run when the value did not
        // even parse as a number, and then throw instead of reporting.
        string? usage = nodes is < 1 or > NodeConfig.MaxNodes ? $"--nodes: {nodes} is out of range (1..{NodeConfig.MaxNodes})"
            : basePort < 1 || basePort + nodes - 1 > 65535 ? $"--base-port: {basePort} is out of range (1..{65536 - nodes})"
            : !NodeConfig.IsValidName(cluster) ? $"--cluster: '{cluster}' is not a valid name ({NodeConfig.NameRule})"
            : !NodeConfig.IsValidName($"{prefix}{NodeConfig.MaxNodes - 1}") ? $"--prefix: '{prefix}' + a number is not a valid name ({NodeConfig.NameRule})"
            : null;
        if (usage is not null)
        {
            error.WriteLine($"dvs config init: {usage}");
            return ExitCode.Usage;
        }

        string? existing = LocalCluster.FilesFor(dir, nodes, prefix).FirstOrDefault(File.Exists);
        if (existing is not null && !force)
        {
            error.WriteLine($"dvs config init: {existing} already exists; pass --force to replace it (and the cluster key)");
            return ExitCode.Usage;
        }

        IReadOnlyList<string> written;
        try
        {
            written = LocalCluster.WriteFiles(dir, nodes, basePort, cluster, overwrite: force, namePrefix: prefix);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            error.WriteLine($"dvs config init: {e.Message}");
            return ExitCode.Failure;
        }

        foreach (string file in written)
        {
            output.WriteLine($"wrote {file}");
        }

        output.WriteLine($"Start each node: dvs node run --config {Path.Combine(dir, $"{prefix}0.ini")} ({prefix}1.ini, ...)");
        return ExitCode.Ok;
    }
}
