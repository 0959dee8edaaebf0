using System.CommandLine;

namespace Dvs.Cli.Commands;

/// <summary><c>dvs node</c>: the node host as its own process.</summary>
internal sealed class NodeCommand : Command
{
    public NodeCommand() : base("node", "Run a node host as its own process")
    {
        Add(new NodeRunCommand());
    }
}
