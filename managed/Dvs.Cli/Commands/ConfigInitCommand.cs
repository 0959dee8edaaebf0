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

    private readonly Option<bool> _force = new("--force")
    {
        Description = "Replace existing files (and so the cluster key)",
    };

    public ConfigInitCommand() : base("init", "Write node ini files and a cluster key for a cluster on this machine")
    {
        _nodes.Validators.Add(result =>
        {
            int n = result.GetValueOrDefault<int>();
            if (n < 1 || n > NodeConfig.MaxNodes)
            {
                result.AddError($"--nodes: {n} is out of range (1..{NodeConfig.MaxNodes})");
            }
        });
        _basePort.Validators.Add(result =>
        {
            int port = result.GetValueOrDefault<int>();
            if (port < 1 || port > 65535 - NodeConfig.MaxNodes)
            {
                result.AddError($"--base-port: {port} is out of range (1..{65535 - NodeConfig.MaxNodes})");
            }
        });
        _cluster.Validators.Add(result =>
        {
            string? name = result.GetValueOrDefault<string>();
            if (name is null || !NodeConfig.IsValidName(name))
            {
                result.AddError($"--cluster: '{name}' is not a valid name ({NodeConfig.NameRule})");
            }
        });
        Add(_nodes);
        Add(_dir);
        Add(_basePort);
        Add(_cluster);
        Add(_force);
        SetAction(Run);
    }

    private int Run(ParseResult parse)
    {
        TextWriter output = parse.InvocationConfiguration.Output;
        TextWriter error = parse.InvocationConfiguration.Error;
        string dir = parse.GetRequiredValue(_dir).ToString();
        int nodes = parse.GetValue(_nodes);
        bool force = parse.GetValue(_force);
        string? existing = LocalCluster.FilesFor(dir, nodes).FirstOrDefault(File.Exists);
        if (existing is not null && !force)
        {
            error.WriteLine($"dvs config init: {existing} already exists; pass --force to replace it (and the cluster key)");
            return ExitCode.Usage;
        }

        IReadOnlyList<string> written;
        try
        {
            written = LocalCluster.WriteFiles(dir, nodes, parse.GetValue(_basePort),
                parse.GetRequiredValue(_cluster), overwrite: force);
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

        output.WriteLine($"Start each node in its own terminal: dvs node run --config {Path.Combine(dir, "node0.ini")} (node1.ini, ...)");
        return ExitCode.Ok;
    }
}
