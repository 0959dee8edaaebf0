using System.Net;
using Dvs.Services;
using Dvs.Tests.Hosting;

namespace Dvs.Tests.Services;

/// <summary>Three node hosts with proxies in this process, the "kv" service kind registered on all.</summary>
internal sealed class ThreeNodes : IDisposable
{
    public ThreeNodes(int count = 3, ulong? dcNodes = null, bool registerKv = true, TimeSpan? migrationBufferKeep = null)
    {
        int[] ports = Enumerable.Range(0, count).Select(_ => TwoNodes.FreePort()).ToArray();
        string stem = "m" + Guid.NewGuid().ToString("N")[..10];
        ulong all = dcNodes ?? (1UL << count) - 1;
        Hosts = new NodeHost[count];
        Nodes = new Node[count];
        for (int i = 0; i < count; i++)
        {
            var network = new NetworkOptions
            {
                Listen = new IPEndPoint(IPAddress.Loopback, ports[i]),
                ClusterKey = TwoNodes.Key,
                MigrationBufferKeep = migrationBufferKeep ?? new NetworkOptions().MigrationBufferKeep,
            };
            for (int p = 0; p < count; p++)
            {
                if (p != i)
                {
                    network.Peers.Add(new PeerOptions { NodeId = p, Name = $"n{p}", Address = new IPEndPoint(IPAddress.Loopback, ports[p]) });
                }
            }
            Hosts[i] = NodeHost.Start(new NodeHostOptions
            {
                NodeName = $"{stem}-{i}",
                NodeId = i,
                Dcs = new List<DcOptions> { new() { DcId = 0, Nodes = all } },
                Network = network,
            });
            if (registerKv || i == 0)
            {
                Hosts[i].RegisterServiceKind(KeyValueService.KindName, () => new KeyValueService());
            }
        }
        for (int i = 0; i < count; i++)
        {
            Nodes[i] = Hosts[i].Attach();
        }
    }

    public NodeHost[] Hosts { get; }
    public Node[] Nodes { get; }

    public void Dispose()
    {
        foreach (Node n in Nodes)
        {
            n.Dispose();
        }
        foreach (NodeHost h in Hosts)
        {
            h.Dispose();
        }
    }
}
