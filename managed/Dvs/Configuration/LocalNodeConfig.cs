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

    /// <summary>Line of <c>address</c> in the file (of the section when absent; 0 when built in code), for messages.</summary>
    public int AddressLine { get; init; }

    /// <summary>Line of <c>interface</c> in the file (of the section when absent; 0 when built in code), for messages.</summary>
    public int InterfaceLine { get; init; }

    /// <summary>Default of <see cref="MigrationTimeoutMs"/>.</summary>
    public const int DefaultMigrationTimeoutMs = 10_000;

    /// <summary><c>migration_timeout_ms</c>: how long a migration this node starts may take before it
    /// rolls back (<see cref="NodeHostOptions.MigrationTimeout"/>); `dvs migrate --timeout-s` only
    /// bounds how long the command waits for the answer.</summary>
    public int MigrationTimeoutMs { get; init; } = DefaultMigrationTimeoutMs;

    /// <summary>Transport to peers.</summary>
    public TransportKind Transport { get; init; } = TransportKind.Udp;

    /// <summary>Network interface for raw transport (e.g. <c>eth0</c>); null otherwise.</summary>
    public string? Interface { get; init; }

    /// <summary>Default of <see cref="Mtu"/>: an Ethernet frame minus the IPv4 and UDP headers.</summary>
    public const int DefaultMtu = global::Dvs.Transport.FrameDescriptor.DefaultMtu;

    /// <summary>Smallest <see cref="Mtu"/>: one message per frame.</summary>
    public const int MinMtu = global::Dvs.Transport.FrameDescriptor.MinFrameLength + global::Dvs.Transport.FrameDescriptor.EntryLength;

    /// <summary>Largest <see cref="Mtu"/>: the largest UDP payload over IPv4.</summary>
    public const int MaxMtu = global::Dvs.Transport.FrameDescriptor.MaxFrameLength;

    /// <summary>
    /// <c>mtu</c>: the largest frame this host sends, in bytes (<see cref="NetworkOptions.Mtu"/>).
    /// Every node of a cluster must use the same (a receiver drops frames holding more messages
    /// than its own MTU allows). Above the path's MTU the kernel fragments UDP datagrams (a lost
    /// fragment loses the frame), so raise it only where the path allows, e.g. between hosts on
    /// loopback (up to 65507: fewer datagrams per message, measured in docs/benchmarks).
    /// </summary>
    public int Mtu { get; init; } = DefaultMtu;
}
