namespace Dvs;

/// <summary>What a node host creates: its segment name, its DCs and the ring size.</summary>
public sealed class NodeHostOptions
{
    /// <summary>Node name; the segment is /dev/shm/dvs-&lt;name&gt;. Letters, digits, '.', '_', '-'.</summary>
    public string NodeName { get; set; } = "node0";

    /// <summary>Node id, 0..31.</summary>
    public int NodeId { get; set; }

    public string Cluster { get; set; } = "dvs";

    /// <summary>Cells per inbound ring, a power of two.</summary>
    public int RingCapacity { get; set; } = 256;

    public IList<DcOptions> Dcs { get; set; } = new List<DcOptions> { new() };

    /// <summary>How often the host looks for endpoints whose owner died.</summary>
    public TimeSpan ReapInterval { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>Peers and transport; null for a node without peers.</summary>
    public NetworkOptions? Network { get; set; }
}
