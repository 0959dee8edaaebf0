namespace Dvs.Hosting;

/// <summary>A hosted service in <see cref="EndpointStatus"/>. Not thread-safe (a plain data object).</summary>
public sealed class ServiceStatus
{
    /// <summary>The service kind (e.g. "kv").</summary>
    public string Kind { get; set; } = "";

    /// <summary>Requests executed by this node since the service arrived or started here.</summary>
    public long Executed { get; set; }

    /// <summary>Repeated requests answered from the exactly-once table here.</summary>
    public long Repeats { get; set; }
}
