using System.Net;
using Dvs.Transport;

namespace Dvs.Tests.Hosting;

/// <summary>
/// A node host (node 0, DC 0 shared with its peers) whose peers, nodes 1 to <c>peers</c>, are
/// <see cref="ForgedPeer"/>s played by the test; returned once every side sees the others up.
/// </summary>
internal sealed class ForgedPeerHost : IDisposable
{
    public ForgedPeerHost(string namePrefix, long? maxMigrationBytes = null, int? ringCapacity = null, int peers = 1,
        Action<NetworkOptions>? configure = null)
    {
        int hostPort = TwoNodes.FreePort();
        int[] peerPorts = Enumerable.Range(0, peers).Select(_ => TwoNodes.FreePort()).ToArray();
        var network = new NetworkOptions
        {
            Listen = new IPEndPoint(IPAddress.Loopback, hostPort),
            ClusterKey = TwoNodes.Key,
        };
        for (int i = 0; i < peers; i++)
        {
            network.Peers.Add(new PeerOptions { NodeId = i + 1, Name = $"n{i + 1}", Address = new IPEndPoint(IPAddress.Loopback, peerPorts[i]) });
        }
        if (maxMigrationBytes is long max)
        {
            network.MaxMigrationBytes = max;
        }
        configure?.Invoke(network);
        Host = NodeHost.Start(new NodeHostOptions
        {
            NodeName = namePrefix + Guid.NewGuid().ToString("N")[..8],
            NodeId = 0,
            Dcs = [new DcOptions { DcId = 0, Name = "dc0", Nodes = (1UL << (peers + 1)) - 1 }],
            Network = network,
            RingCapacity = ringCapacity ?? Dvs.Configuration.IpcConfig.DefaultRingCapacity,
        });
        Node = Host.Attach();
        for (int i = 0; i < peers; i++)
        {
            var peer = new ForgedPeer(i + 1, peerPorts[i], 0, new IPEndPoint(IPAddress.Loopback, hostPort), "dvs", TwoNodes.Key);
            Peers.Add(peer);
            peer.PumpUntil(() => peer.Session.State == PeerState.Up && Node.GetPeerState(i + 1) == "up", "handshake");
        }
    }

    public NodeHost Host { get; }

    public Node Node { get; }

    /// <summary>Node 1.</summary>
    public ForgedPeer Peer => Peers[0];

    /// <summary>Nodes 1, 2, ... in order.</summary>
    public List<ForgedPeer> Peers { get; } = new();

    public void Dispose()
    {
        foreach (ForgedPeer peer in Peers)
        {
            peer.Dispose();
        }
        Node.Dispose();
        Host.Dispose();
    }
}
