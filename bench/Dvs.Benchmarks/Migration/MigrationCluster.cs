using System.Net;
using Dvs.Benchmarks.Net;
using Dvs.Services;

namespace Dvs.Benchmarks.Migration;

/// <summary>
/// Three embedded node hosts in this process on loopback UDP, one DC on all three, the "kv"
/// service kind registered everywhere (as tests/Dvs.Tests/Services/ThreeNodes.cs). Not thread-safe.
/// </summary>
internal sealed class MigrationCluster : IDisposable
{
    internal const int Count = 3;

    internal MigrationCluster(TimeSpan migrationTimeout, WaitStrategy? clientWait = null)
    {
        var ports = Enumerable.Range(0, Count).Select(_ => NetPorts.FreeUdp()).ToArray();
        var stem = $"mb{Environment.ProcessId}";
        Hosts = new NodeHost[Count];
        Nodes = new Node[Count];
        try
        {
            for (var i = 0; i < Count; i++)
            {
                var network = new NetworkOptions
                {
                    Listen = new IPEndPoint(IPAddress.Loopback, ports[i]),
                    ClusterKey = NetPartnerMode.Key,
                };
                for (var p = 0; p < Count; p++)
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
                    Dcs = [new DcOptions { DcId = 0, Name = "bench", Nodes = (1UL << Count) - 1 }],
                    Network = network,
                });
                Hosts[i].MigrationTimeout = migrationTimeout;
                Hosts[i].RegisterServiceKind(KeyValueService.KindName, () => new KeyValueService());
            }
            for (var i = 0; i < Count; i++)
            {
                Nodes[i] = Hosts[i].Attach(clientWait);
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    internal NodeHost[] Hosts { get; }

    internal Node[] Nodes { get; }

    public void Dispose()
    {
        foreach (var n in Nodes)
        {
            n?.Dispose();
        }
        foreach (var h in Hosts)
        {
            h?.Dispose();
        }
    }
}
