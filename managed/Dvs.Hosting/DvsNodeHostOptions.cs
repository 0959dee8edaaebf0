using Dvs.Configuration;
using Microsoft.Extensions.Configuration;

namespace Dvs.Hosting;

/// <summary>
/// Where the node host of <see cref="DvsServiceCollectionExtensions.AddDvsNodeHost(Microsoft.Extensions.DependencyInjection.IServiceCollection, string)"/>
/// takes its configuration from: a node ini file, or a configuration section shaped like one (one
/// child section per ini section: <c>Dvs:node:name</c>, <c>Dvs:cluster:key_file</c>,
/// <c>Dvs:dc.web:nr_procs</c>, ...). Checked when the application starts, with the checks of
/// <c>dvs config check</c>; a bad option stops start-up with the same file/key message.
/// </summary>
public sealed class DvsNodeHostOptions
{
    /// <summary>The node ini file; null when <see cref="Configuration"/> is used.</summary>
    public string? ConfigFile { get; set; }

    /// <summary>The configuration section in the shape of a node ini file; null when <see cref="ConfigFile"/> is used.</summary>
    public IConfigurationSection? Configuration { get; set; }

    /// <summary>Where a relative <c>key_file</c> of <see cref="Configuration"/> is found; null: the current folder.
    /// (A relative key_file of an ini file is relative to the file's folder, as for <c>dvs node run</c>.)</summary>
    public string? BaseDirectory { get; set; }

    /// <summary>Whether the node host opens its control socket, so that <c>dvs status</c>, <c>dvs top</c> and
    /// <c>dvs migrate</c> reach it as they reach <c>dvs node run</c>. Default true.</summary>
    public bool ControlSocket { get; set; } = true;

    /// <summary>The configuration as checked at start (set by the options validation); null before.</summary>
    public NodeConfig? Loaded { get; internal set; }
}
