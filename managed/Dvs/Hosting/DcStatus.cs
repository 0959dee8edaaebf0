namespace Dvs.Hosting;

/// <summary>A DC in <see cref="NodeStatus"/>. Not thread-safe (a plain data object).</summary>
public sealed class DcStatus
{
    public int DcId { get; set; }

    public string Name { get; set; } = "";

    /// <summary>Every slot that is not free: local endpoints, remote ones this node knows, migrating ones.</summary>
    public List<EndpointStatus> Endpoints { get; set; } = [];
}
