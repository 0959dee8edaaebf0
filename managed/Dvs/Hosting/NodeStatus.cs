namespace Dvs.Hosting;

/// <summary>What the status command reports of a node host. Not thread-safe (a plain data object).</summary>
public sealed class NodeStatus
{
    public int NodeId { get; set; }

    public string Name { get; set; } = "";

    /// <summary>Changes at every start of the host, so a restart is visible.</summary>
    public ulong Incarnation { get; set; }

    /// <summary>The shared-memory segment's name.</summary>
    public string Segment { get; set; } = "";

    /// <summary>The Dvs version of the host that made the segment (its header's build info).</summary>
    public string Build { get; set; } = "";

    /// <summary>The configured peers and what this node knows of them.</summary>
    public List<PeerStatus> Peers { get; set; } = [];

    /// <summary>The DCs of this node with their bound endpoints.</summary>
    public List<DcStatus> Dcs { get; set; } = [];

    /// <summary>The host's counters by <see cref="NodeCounter"/> name (only the named ones).</summary>
    public Dictionary<string, long> Counters { get; set; } = [];
}
