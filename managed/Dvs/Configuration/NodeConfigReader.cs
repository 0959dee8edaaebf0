// Longer than 500 lines: every section's checks with their file:line diagnostics; to be split
// into one reader per section (noted on issue 11).
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;

namespace Dvs.Configuration;

/// <summary>
/// Turns the text of a node ini file into a <see cref="NodeConfig"/>, checking everything that can
/// be checked without the network: syntax, unknown sections and keys, required keys, numbers and
/// their DVS ranges, uniqueness across the cluster, references between sections, the key file.
/// Collects all errors, then throws one <see cref="ConfigException"/> sorted by line.
/// </summary>
internal static partial class NodeConfigReader
{
    public const string NameRule = "a letter or digit, then letters, digits, '_', '-' or '.', at most 32 characters";

    private const string NodeSection = "node";
    private const string ClusterSection = "cluster";
    private const string IpcSection = "ipc";
    private const string PeerPrefix = "peer.";
    private const string DcPrefix = "dc.";
    private const string ServicePrefix = "service.";

    public static bool IsValidName(string name) => NamePattern().IsMatch(name);

    public static NodeConfig Read(string text, string file, string baseDirectory)
    {
        var errors = new List<ConfigDiagnostic>();
        var warnings = new List<ConfigDiagnostic>();
        IniLineIndex index = IniLineIndex.Scan(text, file, errors);
        if (errors.Count > 0)
        {
            throw new ConfigException(errors);
        }

        IConfiguration values;
        try
        {
            using var stream = new MemoryStream(Encoding.UTF8.GetBytes(text));
            values = new ConfigurationBuilder().AddIniStream(stream).Build();
        }
        catch (FormatException e)
        {
            // The scanner follows the provider's grammar, so this means the two disagree: still an
            // error about this file, though without a line.
            throw new ConfigException(new ConfigDiagnostic(file, 0, "", null, e.Message));
        }

        var reader = new Reader(file, index, values, errors, warnings, baseDirectory);
        NodeConfig? config = reader.Read();
        if (errors.Count > 0 || config is null)
        {
            throw new ConfigException(errors.OrderBy(e => e.Line).ToArray());
        }

        return config;
    }

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$")]
    private static partial Regex NamePattern();

    [GeneratedRegex("^[0-9A-Fa-f]{2}([:-][0-9A-Fa-f]{2}){5}$")]
    private static partial Regex MacPattern();

    /// <summary>One read of one file; holds what the cross-section checks need.</summary>
    private sealed class Reader(string file, IniLineIndex index, IConfiguration values,
        List<ConfigDiagnostic> errors, List<ConfigDiagnostic> warnings, string baseDirectory)
    {
        // This node's id and name as soon as they parse, even when another [node] key is bad, so a
        // DC listing this node does not draw a second, misleading error.
        private int? _selfId;
        private string? _selfName;

        // The transport as soon as it parses, so peers are checked against it (MAC or IP addresses)
        // even when another [node] key is bad.
        private TransportKind _transport = TransportKind.Udp;

        // Every name a [peer.<name>] section declares, valid or not: a DC naming a peer whose
        // section has errors is not reported again.
        private readonly HashSet<string> _peerNames = new(StringComparer.OrdinalIgnoreCase);

        // Every peer id that parsed, in sections valid or not, for the same reason.
        private readonly HashSet<int> _peerIds = [];

        private SectionReader Section(IniSection ini, params string[] keys) =>
            new(file, ini, values, errors, warnings, keys);

        private void MissingSection(string name) =>
            errors.Add(new ConfigDiagnostic(file, index.LineCount, name, null, "required section is missing"));

        public NodeConfig? Read()
        {
            IniSection? nodeIni = null, clusterIni = null, ipcIni = null;
            var peerInis = new List<IniSection>();
            var dcInis = new List<IniSection>();
            var serviceInis = new List<IniSection>();
            foreach (IniSection ini in index.Sections)
            {
                string name = ini.Name;
                if (name.Equals(NodeSection, StringComparison.OrdinalIgnoreCase))
                {
                    nodeIni = ini;
                }
                else if (name.Equals(ClusterSection, StringComparison.OrdinalIgnoreCase))
                {
                    clusterIni = ini;
                }
                else if (name.Equals(IpcSection, StringComparison.OrdinalIgnoreCase))
                {
                    ipcIni = ini;
                }
                else if (Named(ini, PeerPrefix) is { } peer)
                {
                    peer.Add(ini, peerInis);
                }
                else if (Named(ini, DcPrefix) is { } dc)
                {
                    dc.Add(ini, dcInis);
                }
                else if (Named(ini, ServicePrefix) is { } service)
                {
                    service.Add(ini, serviceInis);
                }
                else
                {
                    errors.Add(new ConfigDiagnostic(file, ini.Line, name, null,
                        "unknown section (known: node, cluster, ipc, peer.<name>, dc.<name>, service.<name>)"));
                }
            }

            if (nodeIni is null)
            {
                MissingSection(NodeSection);
            }

            if (clusterIni is null)
            {
                MissingSection(ClusterSection);
            }

            LocalNodeConfig? node = nodeIni is null ? null : ReadNode(nodeIni);
            TransportKind transport = _transport;
            ClusterConfig? cluster = clusterIni is null ? null : ReadCluster(clusterIni);
            IpcConfig? ipc = ipcIni is null ? new IpcConfig() : ReadIpc(ipcIni);
            List<PeerConfig> peers = ReadPeers(peerInis, node, transport);
            List<DcConfig> dcs = ReadDcs(dcInis, node, peers);
            List<ServiceConfig> services = ReadServices(serviceInis, node, dcs, dcInis);

            if (node is null || cluster is null || ipc is null || errors.Count > 0)
            {
                return null;
            }

            if (dcs.Count == 0)
            {
                warnings.Add(new ConfigDiagnostic(file, index.LineCount, "dc.<name>", null,
                    "no DC is configured, so no endpoint can be bound on this node"));
            }

            return new NodeConfig
            {
                Node = node,
                Cluster = cluster,
                Peers = peers,
                Dcs = dcs,
                Services = services,
                Ipc = ipc,
                SourceFile = file,
                Warnings = warnings.OrderBy(w => w.Line).ToArray(),
            };
        }

        /// <summary>For a section named prefix + name: checks the name; null when the prefix differs.</summary>
        private NamedSection? Named(IniSection ini, string prefix)
        {
            if (!ini.Name.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
            {
                return null;
            }

            string name = ini.Name[prefix.Length..];
            if (!IsValidName(name))
            {
                errors.Add(new ConfigDiagnostic(file, ini.Line, ini.Name, null,
                    $"'{name}' is not a valid {prefix.TrimEnd('.')} name ({NameRule})"));
                return new NamedSection(Valid: false);
            }

            return new NamedSection(Valid: true);
        }

        private LocalNodeConfig? ReadNode(IniSection ini)
        {
            SectionReader r = Section(ini, "id", "name", "address", "port", "transport", "interface", "mtu", "migration_timeout_ms");
            int? id = r.Int("id", 0, NodeConfig.MaxNodes - 1, null);
            string? name = r.Name("name", required: true);
            (_selfId, _selfName) = (id, name);
            TransportKind? transport = ReadTransport(r);
            _transport = transport ?? TransportKind.Udp;
            bool raw = transport == TransportKind.Raw;
            string? address = r.String("address", required: !raw);
            if (address is { Length: 0 })
            {
                address = null;
            }

            if (address is not null && !raw && !IsHost(address))
            {
                r.Error("address", $"'{address}' is not an IP address or a host name");
                address = null;
            }
            else if (address is not null && !raw && IsIpv6(address))
            {
                r.Error("address", Ipv6Refused(address));
                address = null;
            }

            int? port = r.Int("port", raw ? 0 : 1, 65535, raw ? 0 : null);
            string? iface = r.String("interface", required: raw);
            int? mtu = r.Int("mtu", LocalNodeConfig.MinMtu, LocalNodeConfig.MaxMtu, LocalNodeConfig.DefaultMtu);
            int? migrationTimeout = r.Int("migration_timeout_ms", 100, 3_600_000, LocalNodeConfig.DefaultMigrationTimeoutMs);
            if (iface is not null && !raw)
            {
                r.Warn("interface", $"ignored: it is used only with transport = raw, not {transport?.ToString().ToLowerInvariant()}");
                iface = null;
            }

            r.ReportUnknownKeys();
            if (id is null || name is null || transport is null || port is null || mtu is null || migrationTimeout is null || (!raw && address is null)
                || (raw && string.IsNullOrEmpty(iface)))
            {
                return null;
            }

            return new LocalNodeConfig
            {
                Id = id.Value,
                Name = name,
                Address = address,
                AddressLine = r.LineOf("address"),
                Port = port.Value,
                Transport = transport.Value,
                Interface = iface,
                InterfaceLine = r.LineOf("interface"),
                Mtu = mtu.Value,
                MigrationTimeoutMs = migrationTimeout.Value,
            };
        }

        private static TransportKind? ReadTransport(SectionReader r)
        {
            string? text = r.String("transport", required: false);
            switch (text?.ToLowerInvariant())
            {
                case null or "udp":
                    return TransportKind.Udp;
                case "tcp":
                    return TransportKind.Tcp;
                case "raw":
                    return TransportKind.Raw;
                default:
                    r.Error("transport", $"'{text}' is not one of udp, tcp, raw");
                    return null;
            }
        }

        private ClusterConfig? ReadCluster(IniSection ini)
        {
            SectionReader r = Section(ini, "name", "key_file", "heartbeat_ms", "peer_down_ms");
            string? name = r.Has("name") ? r.Name("name", required: true) : "dvs";
            string? keyFile = r.String("key_file", required: true);
            int? heartbeat = r.Int("heartbeat_ms", 1, 60_000, ClusterConfig.DefaultHeartbeatMs);
            int? peerDown = r.Int("peer_down_ms", 1, 3_600_000, ClusterConfig.DefaultPeerDownMs);
            if (heartbeat is not null && peerDown is not null && peerDown <= heartbeat)
            {
                r.Error("peer_down_ms", $"{peerDown} must be more than heartbeat_ms ({heartbeat}), "
                    + "or every peer is marked down between two heartbeats");
                peerDown = null;
            }

            string? keyPath = null;
            ReadOnlyMemory<byte>? key = null;
            if (keyFile is not null && keyFile.Contains('\0'))
            {
                // Path.GetFullPath throws on it: say where, as for every other mistake.
                r.Error("key_file", $"'{keyFile.Replace("\0", "\\0")}' is not a valid path (it holds a NUL character)");
                keyFile = null;
            }
            if (keyFile is not null)
            {
                keyPath = Path.GetFullPath(Path.Combine(baseDirectory, keyFile));
                key = ReadKeyFile(r, keyPath);
            }

            r.ReportUnknownKeys();
            if (name is null || key is null || heartbeat is null || peerDown is null)
            {
                return null;
            }

            return new ClusterConfig
            {
                Name = name,
                KeyFile = keyPath,
                Key = key.Value,
                HeartbeatMs = heartbeat.Value,
                PeerDownMs = peerDown.Value,
            };
        }

        private static ReadOnlyMemory<byte>? ReadKeyFile(SectionReader r, string path)
        {
            if (Directory.Exists(path))
            {
                r.Error("key_file", $"{path} is a directory, not a key file");
                return null;
            }

            if (!File.Exists(path))
            {
                r.Error("key_file", $"{path} does not exist (dvs config init writes one)");
                return null;
            }

            string text;
            try
            {
                text = ConfigFile.ReadText(path, ConfigFile.MaxKeyBytes);
            }
            catch (IOException e)
            {
                r.Error("key_file", $"{path} cannot be read: {e.Message}");
                return null;
            }

            ReadOnlyMemory<byte> key = ClusterKey.FromText(text);
            if (key.IsEmpty)
            {
                r.Error("key_file", $"{path} is empty");
                return null;
            }

            if (key.Length < ClusterKey.MinBytes)
            {
                r.Error("key_file", $"{path} holds only {key.Length} bytes; a cluster key needs at least {ClusterKey.MinBytes} "
                    + "(dvs config init writes a random one)");
                return null;
            }

            if (!OperatingSystem.IsWindows())
            {
                UnixFileMode mode = File.GetUnixFileMode(path);
                if ((mode & UnixFileMode.OtherRead) != 0)
                {
                    r.Warn("key_file", $"{path} is readable by every user (mode {Convert.ToString((int)mode, 8).PadLeft(4, '0')}); "
                        + "chmod 600 it");
                }
            }

            return key;
        }

        private IpcConfig? ReadIpc(IniSection ini)
        {
            SectionReader r = Section(ini, "ring_capacity", "spin_us");
            int? capacity = r.Int("ring_capacity", 2, IpcConfig.MaxRingCapacity, IpcConfig.DefaultRingCapacity);
            if (capacity is not null && !int.IsPow2(capacity.Value))
            {
                r.Error("ring_capacity", $"{capacity} is not a power of two");
                capacity = null;
            }

            int? spin = r.Int("spin_us", 0, 1_000_000, IpcConfig.DefaultSpinUs);
            r.ReportUnknownKeys();
            return capacity is null || spin is null ? null : new IpcConfig { RingCapacity = capacity.Value, SpinUs = spin.Value };
        }

        private List<PeerConfig> ReadPeers(List<IniSection> inis, LocalNodeConfig? node, TransportKind transport)
        {
            bool raw = transport == TransportKind.Raw;
            var peers = new List<PeerConfig>();
            // Who already holds an id / an address:port, to name the other party in the error.
            var ids = new Dictionary<int, string>();
            var endpoints = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            if (_selfId is not null)
            {
                ids[_selfId.Value] = "[node]";
            }

            if (node is not null)
            {
                if (node.Address is not null)
                {
                    endpoints[$"{node.Address}:{node.Port}"] = "[node]";
                }
            }

            foreach (IniSection ini in inis)
            {
                _peerNames.Add(ini.Name[PeerPrefix.Length..]);
            }

            foreach (IniSection ini in inis)
            {
                SectionReader r = Section(ini, "id", "address", "port");
                string name = ini.Name[PeerPrefix.Length..];
                if (_selfName is not null && name.Equals(_selfName, StringComparison.OrdinalIgnoreCase))
                {
                    r.Error(null, $"'{name}' is this node's own name ([node] name)");
                }

                int? id = r.Int("id", 0, NodeConfig.MaxNodes - 1, null);
                if (id is not null)
                {
                    _peerIds.Add(id.Value);
                }

                if (id is not null && ids.TryGetValue(id.Value, out string? holder))
                {
                    r.Error("id", $"{id} is already the id of {holder}");
                    id = null;
                }
                else if (id is not null)
                {
                    ids[id.Value] = $"[{ini.Name}]";
                }

                string? address = r.String("address", required: true);
                if (address is not null && raw && !MacPattern().IsMatch(address))
                {
                    r.Error("address", $"'{address}' is not a MAC address (aa:bb:cc:dd:ee:ff), as transport = raw needs");
                    address = null;
                }
                else if (address is not null && !raw && !IsHost(address))
                {
                    r.Error("address", $"'{address}' is not an IP address or a host name");
                    address = null;
                }
                else if (address is not null && !raw && IsIpv6(address))
                {
                    r.Error("address", Ipv6Refused(address));
                    address = null;
                }

                int? port = r.Int("port", raw ? 0 : 1, 65535, raw ? 0 : null);
                if (!raw && address is not null && port is not null)
                {
                    string endpoint = $"{address}:{port}";
                    if (endpoints.TryGetValue(endpoint, out string? other))
                    {
                        r.Error("port", $"{endpoint} is already the address of {other}");
                        port = null;
                    }
                    else
                    {
                        endpoints[endpoint] = $"[{ini.Name}]";
                    }
                }

                r.ReportUnknownKeys();
                if (id is not null && address is not null && port is not null)
                {
                    peers.Add(new PeerConfig { Name = name, Id = id.Value, Address = address, AddressLine = r.LineOf("address"), Port = port.Value });
                }
            }

            return peers;
        }

        private List<DcConfig> ReadDcs(List<IniSection> inis, LocalNodeConfig? node, List<PeerConfig> peers)
        {
            var dcs = new List<DcConfig>();
            var dcids = new Dictionary<int, string>();
            foreach (IniSection ini in inis)
            {
                SectionReader r = Section(ini, "dcid", "nodes", "nr_procs", "nr_tasks", "nr_sysprocs");
                string name = ini.Name[DcPrefix.Length..];
                int? dcid = r.Int("dcid", 0, DcConfig.MaxDcs - 1, null);
                if (dcid is not null && dcids.TryGetValue(dcid.Value, out string? holder))
                {
                    r.Error("dcid", $"{dcid} is already the dcid of [{holder}]");
                    dcid = null;
                }
                else if (dcid is not null)
                {
                    dcids[dcid.Value] = ini.Name;
                }

                List<int>? nodes = ReadNodeList(r, peers);
                int? procs = r.Int("nr_procs", 1, DcConfig.MaxSlots, DcConfig.DefaultNrProcs);
                int? tasks = r.Int("nr_tasks", 0, DcConfig.MaxNrTasks, DcConfig.DefaultNrTasks);
                int? sysprocs = r.Int("nr_sysprocs", 0, DcConfig.MaxSlots, DcConfig.DefaultNrSysProcs);
                if (procs is not null && tasks is not null)
                {
                    int slots = procs.Value + tasks.Value;
                    if (slots > DcConfig.MaxSlots)
                    {
                        r.Error(r.Has("nr_procs") ? "nr_procs" : "nr_tasks",
                            $"nr_tasks + nr_procs = {slots} is more than {DcConfig.MaxSlots}");
                        procs = null;
                    }
                    else if (sysprocs < tasks)
                    {
                        string given = r.Has("nr_sysprocs") ? "" : " (the default)";
                        r.Error("nr_sysprocs", $"{sysprocs}{given} is less than nr_tasks ({tasks}): every task slot is privileged in DVS "
                            + "(nr_sysprocs counts them: endpoints -nr_tasks .. nr_sysprocs - nr_tasks - 1 are privileged)");
                        sysprocs = null;
                    }
                    else if (sysprocs > slots)
                    {
                        string given = r.Has("nr_sysprocs") ? "" : " (the default)";
                        r.Error("nr_sysprocs", $"{sysprocs}{given} is more than nr_tasks + nr_procs ({slots})");
                        sysprocs = null;
                    }
                }

                if (nodes is not null && node is not null && !nodes.Contains(node.Id))
                {
                    r.Warn("nodes", $"the DC does not span this node ({node.Name}, id {node.Id}); no endpoint of it can live here");
                }

                r.ReportUnknownKeys();
                if (dcid is not null && nodes is not null && procs is not null && tasks is not null && sysprocs is not null)
                {
                    dcs.Add(new DcConfig
                    {
                        Name = name,
                        DcId = dcid.Value,
                        Nodes = nodes,
                        NrProcs = procs.Value,
                        NrTasks = tasks.Value,
                        NrSysProcs = sysprocs.Value,
                    });
                }
            }

            return dcs;
        }

        /// <summary><c>nodes</c>: node ids or names, separated by commas or spaces, each this node or a
        /// peer. Null when the list is bad, or names a node whose own section is bad (already reported).</summary>
        private List<int>? ReadNodeList(SectionReader r, List<PeerConfig> peers)
        {
            string? text = r.String("nodes", required: true);
            if (text is null)
            {
                return null;
            }

            string[] items = text.Split([',', ' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            if (items.Length == 0)
            {
                r.Error("nodes", "the list names no node");
                return null;
            }

            var ids = new List<int>();
            bool ok = true;
            foreach (string item in items)
            {
                bool isNumber = int.TryParse(item, NumberStyles.None, CultureInfo.InvariantCulture, out int n);
                int? id = isNumber
                    ? (_selfId == n || peers.Any(p => p.Id == n) ? n : null)
                    : _selfName is not null && item.Equals(_selfName, StringComparison.OrdinalIgnoreCase) ? _selfId
                    : peers.FirstOrDefault(p => p.Name.Equals(item, StringComparison.OrdinalIgnoreCase))?.Id;
                if (id is null)
                {
                    // Not reported when it may name a node whose own section is at fault (a bad peer,
                    // or this node without a valid id / name): that error is already listed.
                    bool reportedElsewhere = isNumber
                        ? _peerIds.Contains(n) || _selfId is null
                        : _peerNames.Contains(item) || _selfName is null || item.Equals(_selfName, StringComparison.OrdinalIgnoreCase);
                    if (!reportedElsewhere)
                    {
                        r.Error("nodes", $"'{item}' is neither this node nor a [peer.<name>] (by id or name)");
                    }

                    ok = false;
                }
                else if (ids.Contains(id.Value))
                {
                    r.Error("nodes", $"'{item}' names node {id} a second time");
                    ok = false;
                }
                else
                {
                    ids.Add(id.Value);
                }
            }

            ids.Sort();
            return ok ? ids : null;
        }

        private List<ServiceConfig> ReadServices(List<IniSection> inis, LocalNodeConfig? node,
            List<DcConfig> dcs, List<IniSection> dcInis)
        {
            var services = new List<ServiceConfig>();
            var taken = new Dictionary<(int DcId, int Endpoint), string>();
            foreach (IniSection ini in inis)
            {
                SectionReader r = Section(ini, "dc", "endpoint", "kind", "args");
                string name = ini.Name[ServicePrefix.Length..];
                string? dcName = r.String("dc", required: true);
                DcConfig? dc = null;
                if (dcName is not null)
                {
                    // By name or by dcid (dvs migrate --dc takes the id, so both must work here).
                    bool byId = int.TryParse(dcName, NumberStyles.None, CultureInfo.InvariantCulture, out int dcid);
                    dc = byId
                        ? dcs.FirstOrDefault(d => d.DcId == dcid)
                        : dcs.FirstOrDefault(d => d.Name.Equals(dcName, StringComparison.OrdinalIgnoreCase));
                    // A DC whose own section has errors is declared, but not in dcs: not reported twice.
                    bool declared = byId
                        ? dc is not null || dcInis.Any(d => values[$"{d.Name}:dcid"] == dcName)
                        : dcInis.Any(d => d.Name[DcPrefix.Length..].Equals(dcName, StringComparison.OrdinalIgnoreCase));
                    if (!declared)
                    {
                        r.Error("dc", $"'{dcName}' names no [dc.<name>] section (by name or dcid)");
                        dcName = null;
                    }
                    else if (dc is not null && node is not null && !dc.Nodes.Contains(node.Id))
                    {
                        r.Error("dc", $"DC {dc.Name} does not span this node ({node.Name}), so it cannot host the service");
                        dcName = null;
                    }
                }

                int? endpoint = dc is null
                    ? r.Int("endpoint", -DcConfig.MaxNrTasks, DcConfig.MaxSlots - 1, null)
                    : r.Int("endpoint", -dc.NrTasks, dc.NrProcs - 1, null);
                if (endpoint is not null && dc is not null)
                {
                    if (taken.TryGetValue((dc.DcId, endpoint.Value), out string? holder))
                    {
                        r.Error("endpoint", $"{endpoint} in DC {dc.Name} is already the endpoint of [{holder}]");
                        endpoint = null;
                    }
                    else
                    {
                        taken[(dc.DcId, endpoint.Value)] = ini.Name;
                    }
                }

                string? kind = r.Name("kind", required: true);
                string args = r.String("args", required: false) ?? "";
                r.ReportUnknownKeys();
                if (dcName is not null && endpoint is not null && kind is not null)
                {
                    services.Add(new ServiceConfig
                    {
                        Name = name,
                        Dc = dc?.Name ?? dcName,
                        Endpoint = endpoint.Value,
                        Kind = kind,
                        Args = args,
                        KindLine = r.LineOf("kind"),
                    });
                }
            }

            return services;
        }

        // The UDP channel (sendmmsg batches of sockaddr_in) is IPv4 only, so node run would fail.
        private static bool IsIpv6(string address) =>
            IPAddress.TryParse(address, out IPAddress? ip) && ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6;

        private static string Ipv6Refused(string address) =>
            $"'{address}' is an IPv6 address; the udp and tcp transports are IPv4 only (use an IPv4 address, e.g. 127.0.0.1)";

        private static bool IsHost(string address) =>
            IPAddress.TryParse(address, out _) || Uri.CheckHostName(address) == UriHostNameType.Dns;
    }

    /// <summary>Result of checking a prefixed section's name; Add keeps only valid ones.</summary>
    private readonly record struct NamedSection(bool Valid)
    {
        public void Add(IniSection ini, List<IniSection> into)
        {
            if (Valid)
            {
                into.Add(ini);
            }
        }
    }
}
