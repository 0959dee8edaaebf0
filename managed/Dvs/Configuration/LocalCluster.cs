namespace Dvs.Configuration;

/// <summary>
/// A cluster of nodes on one machine (127.0.0.1): what <c>dvs config init</c> writes and what
/// <see cref="NodeConfig.EmbeddedDefault"/> builds. Thread-safe (no state).
/// </summary>
public static class LocalCluster
{
    /// <summary>Nodes in the default cluster.</summary>
    public const int DefaultNodeCount = 3;

    /// <summary>UDP port of node 0 in the default cluster; node n listens on DefaultBasePort + n.</summary>
    public const int DefaultBasePort = 7100;

    /// <summary>Node n is named DefaultNamePrefix + n.</summary>
    public const string DefaultNamePrefix = "node";

    /// <summary>Name of the key file <see cref="WriteFiles"/> writes beside the ini files.</summary>
    public const string KeyFileName = "cluster.key";

    /// <summary>The configuration of every node of a local cluster, indexed by node id.</summary>
    /// <param name="nodeCount">1..32 nodes, named node0.., ids 0...</param>
    /// <param name="basePort">Port of node 0; node n uses basePort + n.</param>
    /// <param name="keyText">The cluster key as key-file text.</param>
    /// <param name="clusterName">The cluster name.</param>
    /// <param name="keyFile">Absolute key file path to record, or null when the key lives only in memory.</param>
    /// <param name="namePrefix">Node n is named namePrefix + n. Node segments are named after nodes, so
    /// two clusters on one machine need different prefixes.</param>
    public static IReadOnlyList<NodeConfig> Create(int nodeCount, int basePort, string keyText,
        string clusterName = "dvs", string? keyFile = null, string namePrefix = DefaultNamePrefix)
    {
        string NodeName(int id) => $"{namePrefix}{id}";
        if (!NodeConfig.IsValidName(NodeName(NodeConfig.MaxNodes - 1)))
        {
            throw new ArgumentException($"'{namePrefix}' + a node id is not a valid name ({NodeConfig.NameRule})", nameof(namePrefix));
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(nodeCount, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(nodeCount, NodeConfig.MaxNodes);
        ArgumentOutOfRangeException.ThrowIfLessThan(basePort, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(basePort + nodeCount - 1, 65535, nameof(basePort));
        ReadOnlyMemory<byte> key = ClusterKey.FromText(keyText);
        if (key.Length < ClusterKey.MinBytes)
        {
            throw new ArgumentException($"the cluster key has {key.Length} bytes, fewer than {ClusterKey.MinBytes}", nameof(keyText));
        }

        var cluster = new ClusterConfig { Name = clusterName, Key = key, KeyFile = keyFile };
        int[] all = Enumerable.Range(0, nodeCount).ToArray();
        var dc = new DcConfig { Name = "dc0", DcId = 0, Nodes = all };
        var configs = new NodeConfig[nodeCount];
        for (int id = 0; id < nodeCount; id++)
        {
            configs[id] = new NodeConfig
            {
                // Loopback carries the largest UDP datagram unfragmented: frames of 64 KiB take
                // fewer datagrams, syscalls and acks per message (docs/benchmarks/notes-moved-from-code.md).
                Node = new LocalNodeConfig { Id = id, Name = NodeName(id), Address = "127.0.0.1", Port = basePort + id, Mtu = LocalNodeConfig.MaxMtu },
                Cluster = cluster,
                Peers = all.Where(p => p != id)
                    .Select(p => new PeerConfig { Name = NodeName(p), Id = p, Address = "127.0.0.1", Port = basePort + p })
                    .ToArray(),
                Dcs = [dc],
            };
        }

        return configs;
    }

    /// <summary>
    /// Writes <c>node0.ini</c>..<c>node{n-1}.ini</c> (named after the nodes) and a fresh <see cref="KeyFileName"/> (mode 0600)
    /// into <paramref name="directory"/>, creating it if needed. Refuses to replace any existing file
    /// unless <paramref name="overwrite"/> is set, and then writes nothing. Blocking file I/O.
    /// </summary>
    /// <returns>The files written, key file first.</returns>
    /// <exception cref="IOException">A file exists and <paramref name="overwrite"/> is false, or I/O failed.</exception>
    public static IReadOnlyList<string> WriteFiles(string directory, int nodeCount, int basePort,
        string clusterName = "dvs", bool overwrite = false, string namePrefix = DefaultNamePrefix)
    {
        string keyText = ClusterKey.Generate();
        IReadOnlyList<NodeConfig> configs = Create(nodeCount, basePort, keyText, clusterName, namePrefix: namePrefix);
        IReadOnlyList<string> files = FilesFor(directory, nodeCount, namePrefix);
        if (!overwrite && files.FirstOrDefault(File.Exists) is { } existing)
        {
            throw new IOException($"{existing} already exists");
        }

        Directory.CreateDirectory(directory);
        ClusterKey.WriteFile(files[0], keyText, overwrite);
        for (int i = 0; i < configs.Count; i++)
        {
            File.WriteAllText(files[i + 1], configs[i].ToIni(KeyFileName));
        }

        return files;
    }

    /// <summary>The files <see cref="WriteFiles"/> writes: the key file, then node0.ini...</summary>
    public static IReadOnlyList<string> FilesFor(string directory, int nodeCount, string namePrefix = DefaultNamePrefix) =>
        Enumerable.Range(0, nodeCount).Select(id => Path.Combine(directory, $"{namePrefix}{id}.ini"))
            .Prepend(Path.Combine(directory, KeyFileName)).ToArray();
}
