namespace Dvs;

/// <summary>What a node host creates: its segment name, its DCs and the ring size.</summary>
public sealed class NodeHostOptions
{
    /// <summary>Node name; the segment is /dev/shm/dvs-&lt;name&gt;. Letters, digits, '.', '_', '-'.</summary>
    public string NodeName { get; set; } = "node0";

    /// <summary>Node id, 0..31.</summary>
    public int NodeId { get; set; }

    public string Cluster { get; set; } = "dvs";

    /// <summary>Cells per inbound ring, a power of two (128 bytes each, backed only once used; see IpcConfig.DefaultRingCapacity).</summary>
    public int RingCapacity { get; set; } = Configuration.IpcConfig.DefaultRingCapacity;

    public IList<DcOptions> Dcs { get; set; } = new List<DcOptions> { new() };

    /// <summary>How often the host looks for endpoints whose owner died.</summary>
    public TimeSpan ReapInterval { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>Peers and transport; null for a node without peers.</summary>
    public NetworkOptions? Network { get; set; }

    /// <summary>
    /// Path of the host's local control socket (Unix domain, mode 0600; see
    /// <see cref="Hosting.ControlSocketPath"/>), where `dvs migrate` and `dvs status` reach it; null
    /// for none (embedded hosts). A stale file there is replaced; the file is removed on dispose.
    /// </summary>
    public string? ControlSocket { get; set; }

    /// <summary>The wall clock (ns since 1970) a new incarnation is at least; tests set it back.</summary>
    internal Func<ulong> IncarnationClock { get; set; } = Ipc.NodeIncarnation.WallClockNanoseconds;
}
