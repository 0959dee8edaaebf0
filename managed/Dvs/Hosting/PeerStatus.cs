namespace Dvs.Hosting;

/// <summary>A peer node in <see cref="NodeStatus"/>. Not thread-safe (a plain data object).</summary>
public sealed class PeerStatus
{
    public int NodeId { get; set; }

    public string Name { get; set; } = "";

    /// <summary>"up", "down" or "unknown" (never heard from).</summary>
    public string State { get; set; } = "";

    /// <summary>The peer's incarnation as last heard (0: never heard from); changes when its host restarts.</summary>
    public ulong Incarnation { get; set; }

    /// <summary>Smoothed round-trip time in microseconds (0 before the first acknowledged frame).</summary>
    public double RttUs { get; set; }

    /// <summary>Frames sent to this peer again since the host started.</summary>
    public ulong Retransmissions { get; set; }
}
