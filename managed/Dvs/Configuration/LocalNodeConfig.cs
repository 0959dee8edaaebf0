namespace Dvs.Configuration;

/// <summary>The <c>[node]</c> section: who this node is and where its host listens. Immutable.</summary>
public sealed class LocalNodeConfig
{
    /// <summary>Node id, 0..31 (<see cref="NodeConfig.MaxNodes"/>), unique in the cluster.</summary>
    public required int Id { get; init; }

    /// <summary>Node name, unique in the cluster; also names the node segment.</summary>
    public required string Name { get; init; }

    /// <summary>IP address or host name the host binds and peers send to; null only with raw transport.</summary>
    public string? Address { get; init; }

    /// <summary>UDP / TCP port; 0 only with raw transport.</summary>
    public int Port { get; init; }

    /// <summary>Transport to peers.</summary>
    public TransportKind Transport { get; init; } = TransportKind.Udp;

    /// <summary>Network interface for raw transport (e.g. <c>eth0</c>); null otherwise.</summary>
    public string? Interface { get; init; }
}
