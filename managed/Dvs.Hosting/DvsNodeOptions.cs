namespace Dvs.Hosting;

/// <summary>
/// The node host this process attaches to (<see cref="DvsServiceCollectionExtensions.AddDvsNode(Microsoft.Extensions.DependencyInjection.IServiceCollection, string, Action{DvsNodeOptions})"/>):
/// one running elsewhere on this machine, e.g. <c>dvs node run</c> or another application's
/// <c>AddDvsNodeHost</c>. Checked when the application starts.
/// </summary>
public sealed class DvsNodeOptions
{
    /// <summary>The node's name (its segment is <c>/dev/shm/dvs-&lt;name&gt;</c>).</summary>
    public string NodeName { get; set; } = "";

    /// <summary>How long start-up waits for the node host to appear (it may be starting too); zero: not at all.</summary>
    public TimeSpan AttachTimeout { get; set; } = TimeSpan.FromSeconds(10);
}
