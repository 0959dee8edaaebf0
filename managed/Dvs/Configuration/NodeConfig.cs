namespace Dvs.Configuration;

/// <summary>
/// The configuration of one node: the parsed node ini file (see docs in DESIGN.md "Configuration")
/// or a configuration built in code. Immutable once built; safe to share between threads.
/// </summary>
/// <example>
/// <code>
/// [node]
/// id = 0
/// name = node0
/// address = 127.0.0.1
/// port = 7100
/// migration_timeout_ms = 10000  ; a migration started here rolls back after this
/// ; transport = udp | tcp | raw (raw needs: interface = eth0, and each peer's address is its MAC)
///
/// [cluster]
/// name = dvs
/// key_file = cluster.key        ; relative to this file
/// heartbeat_ms = 100
/// peer_down_ms = 1000
///
/// [peer.node1]
/// id = 1
/// address = 127.0.0.1
/// port = 7101
///
/// [dc.dc0]
/// dcid = 0
/// nodes = node0, node1          ; ids or names
/// nr_procs = 221
/// nr_tasks = 35
/// nr_sysprocs = 64
///
/// [service.echo]
/// dc = dc0
/// endpoint = 10
/// kind = echo
///
/// [ipc]
/// ring_capacity = 4096         ; a power of two, 2..65536
/// spin_us = 50
/// </code>
/// </example>
public sealed class NodeConfig
{
    /// <summary>Largest number of nodes in a cluster; node ids are 0..MaxNodes-1 (DVS _NR_NODES).</summary>
    public const int MaxNodes = 32;

    /// <summary>What <see cref="IsValidName"/> accepts, in words for messages.</summary>
    public const string NameRule = NodeConfigReader.NameRule;

    /// <summary>This node (<c>[node]</c>).</summary>
    public required LocalNodeConfig Node { get; init; }

    /// <summary>The cluster (<c>[cluster]</c>).</summary>
    public required ClusterConfig Cluster { get; init; }

    /// <summary>The other nodes (<c>[peer.&lt;name&gt;]</c>), in file order.</summary>
    public IReadOnlyList<PeerConfig> Peers { get; init; } = [];

    /// <summary>The DCs (<c>[dc.&lt;name&gt;]</c>), in file order.</summary>
    public IReadOnlyList<DcConfig> Dcs { get; init; } = [];

    /// <summary>Servers this node hosts (<c>[service.&lt;name&gt;]</c>), in file order.</summary>
    public IReadOnlyList<ServiceConfig> Services { get; init; } = [];

    /// <summary>Hot-path tuning (<c>[ipc]</c>).</summary>
    public IpcConfig Ipc { get; init; } = new();

    /// <summary>The file this was read from, as named by the caller; null when built in code.</summary>
    public string? SourceFile { get; init; }

    /// <summary>Findings that do not stop the node (e.g. a key file readable by others).</summary>
    public IReadOnlyList<ConfigDiagnostic> Warnings { get; init; } = [];

    /// <summary>
    /// Reads and checks a node ini file. Relative paths in it (key_file) are relative to the file's
    /// folder. Blocking file I/O.
    /// </summary>
    /// <param name="path">The file; messages name it as given here.</param>
    /// <exception cref="ConfigException">The file cannot be read or is invalid; every error found is listed.</exception>
    public static NodeConfig Load(string path)
    {
        string text;
        try
        {
            text = ConfigFile.ReadText(path, ConfigFile.MaxIniBytes);
        }
        catch (IOException e)
        {
            string why = e is FileNotFoundException ? "no such file" : e.Message;
            throw new ConfigException(new ConfigDiagnostic(path, 0, "", null, $"cannot read the configuration: {why}"));
        }

        string directory = Path.GetDirectoryName(Path.GetFullPath(path)) ?? Directory.GetCurrentDirectory();
        return NodeConfigReader.Read(text, path, directory);
    }

    /// <summary>Checks ini text as if it were the file <paramref name="fileName"/> in
    /// <paramref name="baseDirectory"/> (default: the current folder). Reads the key file.</summary>
    /// <exception cref="ConfigException">The text is invalid; every error found is listed.</exception>
    public static NodeConfig Parse(string text, string fileName, string? baseDirectory = null) =>
        NodeConfigReader.Read(text, fileName, baseDirectory ?? Directory.GetCurrentDirectory());

    /// <summary>
    /// The built-in cluster of the demo and of single-process use: <paramref name="nodeCount"/> nodes
    /// node0.. on 127.0.0.1, ports <paramref name="basePort"/> + id, UDP, and one DC <c>dc0</c>
    /// (dcid 0, DVS default sizes) spanning all of them. Needs no file.
    /// </summary>
    /// <param name="nodeId">Which node of the cluster this is.</param>
    /// <param name="nodeCount">Nodes in the cluster, 1..32.</param>
    /// <param name="basePort">Port of node 0.</param>
    /// <param name="keyText">The cluster key as key-file text; null for <see cref="ClusterKey.ProcessDefault"/>
    /// (nodes in other processes then need the same text passed explicitly).</param>
    public static NodeConfig EmbeddedDefault(int nodeId, int nodeCount = LocalCluster.DefaultNodeCount,
        int basePort = LocalCluster.DefaultBasePort, string? keyText = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(nodeId);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(nodeId, nodeCount);
        return LocalCluster.Create(nodeCount, basePort, keyText ?? ClusterKey.ProcessDefault)[nodeId];
    }

    /// <summary>
    /// The ini text of this configuration; reading it back (with the key file present) gives an
    /// equal configuration. Comments of the original file are not kept.
    /// </summary>
    /// <param name="keyFile">What to write as key_file (relative paths are relative to the ini file).</param>
    public string ToIni(string keyFile) => NodeConfigWriter.Write(this, keyFile);

    /// <summary>
    /// What <see cref="NodeHost.Start"/> needs from this configuration: the node's name and id, the
    /// cluster, the ring capacity, every DC (with its node bitmap) and, when there are peers, the
    /// network options. Returns a new object each call. Resolves host names (blocking DNS).
    /// </summary>
    /// <exception cref="FormatException">With transport = raw, a peer address that is not a MAC address
    /// (only for a configuration built in code: the reader checks them).</exception>
    /// <exception cref="ConfigException">A host name does not resolve to an IPv4 address (the
    /// diagnostic names the section, the key and its line).</exception>
    public NodeHostOptions ToNodeHostOptions() => new()
    {
        NodeName = Node.Name,
        NodeId = Node.Id,
        Cluster = Cluster.Name,
        RingCapacity = Ipc.RingCapacity,
        MigrationTimeout = TimeSpan.FromMilliseconds(Node.MigrationTimeoutMs),
        Dcs = Dcs.Select(dc => new DcOptions
        {
            DcId = dc.DcId,
            Name = dc.Name,
            NrProcs = dc.NrProcs,
            NrTasks = dc.NrTasks,
            NrSysProcs = dc.NrSysProcs,
            Nodes = dc.NodeMask,
        }).ToList(),
        Network = ToNetworkOptions(),
    };

    /// <summary>The proxy's options; null for a node without peers. udp and tcp: the listen address
    /// and each peer's address and port; raw: the interface and each peer's MAC address (a peer's
    /// <c>address</c> is its MAC with transport = raw).</summary>
    private NetworkOptions? ToNetworkOptions()
    {
        if (Peers.Count == 0)
        {
            return null;
        }
        bool raw = Node.Transport == TransportKind.Raw;
        return new NetworkOptions
        {
            Transport = Node.Transport,
            Interface = raw ? Node.Interface : null,
            Listen = raw
                ? new System.Net.IPEndPoint(System.Net.IPAddress.None, 0)
                : new System.Net.IPEndPoint(Resolve(Node.Address ?? "127.0.0.1", "node", Node.AddressLine), Node.Port),
            Peers = Peers.Select(p => raw
                ? new PeerOptions
                {
                    NodeId = p.Id,
                    Name = p.Name,
                    MacAddress = System.Net.NetworkInformation.PhysicalAddress.Parse(p.Address),
                }
                : new PeerOptions
                {
                    NodeId = p.Id,
                    Name = p.Name,
                    Address = new System.Net.IPEndPoint(Resolve(p.Address, $"peer.{p.Name}", p.AddressLine), p.Port),
                }).ToList(),
            ClusterKey = Cluster.Key.ToArray(),
            HeartbeatInterval = TimeSpan.FromMilliseconds(Cluster.HeartbeatMs),
            PeerDownAfter = TimeSpan.FromMilliseconds(Cluster.PeerDownMs),
            Mtu = Node.Mtu,
        };
    }

    /// <summary>An IP address as is; a host name by DNS, its IPv4 address (peers written as 127.0.0.1
    /// and as localhost must meet, localhost often resolves to ::1 first, and the transports are
    /// IPv4 only).</summary>
    /// <exception cref="ConfigException">The name does not resolve to an IPv4 address.</exception>
    private System.Net.IPAddress Resolve(string address, string section, int line)
    {
        if (System.Net.IPAddress.TryParse(address, out var ip))
        {
            return ip;
        }

        string why;
        try
        {
            System.Net.IPAddress[] all = System.Net.Dns.GetHostAddresses(address);
            if (all.FirstOrDefault(a => a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork) is { } v4)
            {
                return v4;
            }
            why = all.Length == 0 ? "no address" : $"only {string.Join(", ", all.Select(a => a.ToString()))}";
        }
        catch (System.Net.Sockets.SocketException e)
        {
            why = e.Message;
        }
        throw new ConfigException(new ConfigDiagnostic(SourceFile ?? "(configuration)", line, section, "address",
            $"'{address}' does not resolve to an IPv4 address ({why})"));
    }

    /// <summary>Whether <paramref name="name"/> can name a node, peer, cluster, DC or service.</summary>
    public static bool IsValidName(string name) => NodeConfigReader.IsValidName(name);

    /// <summary>The <c>[peer.&lt;name&gt;]</c> with this id, or null.</summary>
    public PeerConfig? FindPeer(int nodeId) => Peers.FirstOrDefault(p => p.Id == nodeId);
}
