namespace Dvs.Configuration;

/// <summary>The <c>[cluster]</c> section: the cluster every node of the file belongs to. Immutable.</summary>
public sealed class ClusterConfig
{
    /// <summary>Default heartbeat period.</summary>
    public const int DefaultHeartbeatMs = 100;

    /// <summary>Default silence after which a peer is declared down.</summary>
    public const int DefaultPeerDownMs = 1000;

    /// <summary>Cluster name; frames of another cluster are dropped.</summary>
    public string Name { get; init; } = "dvs";

    /// <summary>Absolute path of the key file, or null for a configuration built in code
    /// (<see cref="NodeConfig.EmbeddedDefault"/>).</summary>
    public string? KeyFile { get; init; }

    /// <summary>The HMAC key of every frame: the key file's text with surrounding white space removed,
    /// as UTF-8 bytes (so an editor adding or dropping the final newline does not change it).</summary>
    public required ReadOnlyMemory<byte> Key { get; init; }

    /// <summary>Period of the heartbeats sent to every peer.</summary>
    public int HeartbeatMs { get; init; } = DefaultHeartbeatMs;

    /// <summary>A peer silent this long is marked down; calls to its endpoints then fail with a DVS
    /// error. Always more than <see cref="HeartbeatMs"/>.</summary>
    public int PeerDownMs { get; init; } = DefaultPeerDownMs;
}
