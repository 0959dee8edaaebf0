using System.Globalization;
using System.Text;

namespace Dvs.Configuration;

/// <summary>Writes a <see cref="NodeConfig"/> as node ini text that <see cref="NodeConfigReader"/> reads back.</summary>
internal static class NodeConfigWriter
{
    public static string Write(NodeConfig config, string keyFile)
    {
        var ini = new StringBuilder();
        ini.AppendLine(Invariant($"; Dvs node {config.Node.Name} of cluster {config.Cluster.Name}. Check: dvs config check <this file>"));
        Section(ini, "node");
        Key(ini, "id", config.Node.Id);
        Key(ini, "name", config.Node.Name);
        if (config.Node.Address is not null)
        {
            Key(ini, "address", config.Node.Address);
        }

        if (config.Node.Port != 0)
        {
            Key(ini, "port", config.Node.Port);
        }

        Key(ini, "transport", config.Node.Transport.ToString().ToLowerInvariant());
        if (config.Node.Interface is not null)
        {
            Key(ini, "interface", config.Node.Interface);
        }

        if (config.Node.Mtu != LocalNodeConfig.DefaultMtu)
        {
            Key(ini, "mtu", config.Node.Mtu);
        }

        // Written even at its default, so that people find it (dvs migrate --timeout-s does not set it).
        Key(ini, "migration_timeout_ms", config.Node.MigrationTimeoutMs);

        Section(ini, "cluster");
        Key(ini, "name", config.Cluster.Name);
        Key(ini, "key_file", keyFile);
        Key(ini, "heartbeat_ms", config.Cluster.HeartbeatMs);
        Key(ini, "peer_down_ms", config.Cluster.PeerDownMs);

        foreach (PeerConfig peer in config.Peers)
        {
            Section(ini, $"peer.{peer.Name}");
            Key(ini, "id", peer.Id);
            Key(ini, "address", peer.Address);
            if (peer.Port != 0)
            {
                Key(ini, "port", peer.Port);
            }
        }

        foreach (DcConfig dc in config.Dcs)
        {
            Section(ini, $"dc.{dc.Name}");
            Key(ini, "dcid", dc.DcId);
            Key(ini, "nodes", string.Join(", ", dc.Nodes.Select(id => NodeName(config, id))));
            Key(ini, "nr_procs", dc.NrProcs);
            Key(ini, "nr_tasks", dc.NrTasks);
            Key(ini, "nr_sysprocs", dc.NrSysProcs);
        }

        foreach (ServiceConfig service in config.Services)
        {
            Section(ini, $"service.{service.Name}");
            Key(ini, "dc", service.Dc);
            Key(ini, "endpoint", service.Endpoint);
            Key(ini, "kind", service.Kind);
            if (service.Args.Length > 0)
            {
                Key(ini, "args", service.Args);
            }
        }

        if (config.Services.Count == 0 && config.Dcs.Count > 0)
        {
            // An example to uncomment: a server the node host starts, which dvs migrate can move.
            ini.AppendLine().AppendLine("; A service this node hosts (dc by name or dcid; kind = kv | echo):")
                .AppendLine("; [service.kv]").Append("; dc = ").AppendLine(config.Dcs[0].Name)
                .AppendLine("; endpoint = 10").AppendLine("; kind = kv");
        }

        Section(ini, "ipc");
        Key(ini, "ring_capacity", config.Ipc.RingCapacity);
        Key(ini, "spin_us", config.Ipc.SpinUs);
        return ini.ToString();
    }

    // Names read better than ids; an id no node of the file has is written as the number (and the
    // reader will reject it, as it would in a hand-written file).
    private static string NodeName(NodeConfig config, int id) =>
        id == config.Node.Id ? config.Node.Name : config.FindPeer(id)?.Name ?? id.ToString(CultureInfo.InvariantCulture);

    private static void Section(StringBuilder ini, string name) => ini.AppendLine().Append('[').Append(name).AppendLine("]");

    private static void Key(StringBuilder ini, string key, int value) =>
        ini.Append(key).Append(" = ").AppendLine(value.ToString(CultureInfo.InvariantCulture));

    // The provider strips one pair of surrounding quotes, so a value that has them gets another pair.
    private static void Key(StringBuilder ini, string key, string value) =>
        ini.Append(key).Append(" = ").AppendLine(value.Length > 1 && value[0] == '"' && value[^1] == '"' ? $"\"{value}\"" : value);

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
