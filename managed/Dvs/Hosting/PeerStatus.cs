namespace Dvs.Hosting;

/// <summary>A peer node in <see cref="NodeStatus"/>. Not thread-safe (a plain data object).</summary>
public sealed class PeerStatus
{
    public int NodeId { get; set; }

    public string Name { get; set; } = "";

    /// <summary>"up", "down" or "unknown" (never heard from).</summary>
    public string State { get; set; } = "";
}
