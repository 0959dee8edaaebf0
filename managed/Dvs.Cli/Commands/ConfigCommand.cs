using System.CommandLine;

namespace Dvs.Cli.Commands;

/// <summary><c>dvs config</c>: node ini files.</summary>
internal sealed class ConfigCommand : Command
{
    public ConfigCommand() : base("config", "Check and write node ini files")
    {
        Add(new ConfigCheckCommand());
        Add(new ConfigInitCommand());
    }
}
