namespace Dvs.Hosting;

/// <summary>An endpoint in <see cref="DcStatus"/>, as this node sees it. Not thread-safe (a plain data object).</summary>
public sealed class EndpointStatus
{
    public int Endpoint { get; set; }

    /// <summary>local, remote, migrating, backup or binding.</summary>
    public string State { get; set; } = "";

    /// <summary>The node that owns (serves) it.</summary>
    public int Owner { get; set; }

    /// <summary>Grows by one at each committed migration.</summary>
    public uint Epoch { get; set; }

    public string Name { get; set; } = "";

    /// <summary>Messages waiting in its inbound ring.</summary>
    public uint Queue { get; set; }

    /// <summary>The hosted service on it, when this node host runs one.</summary>
    public ServiceStatus? Service { get; set; }
}
