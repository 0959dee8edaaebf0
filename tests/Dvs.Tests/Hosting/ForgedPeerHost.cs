using System.Net;
using Dvs.Transport;

namespace Dvs.Tests.Hosting;

/// <summary>
/// A node host (node 0, DC 0 shared with node 1) whose only peer, node 1, is a
/// <see cref="ForgedPeer"/> played by the test; returned once both sides see each other up.
/// </summary>
internal sealed class ForgedPeerHost : IDisposable
{
    public ForgedPeerHost(string namePrefix, long? maxMigrationBytes = null, int? ringCapacity = null)
    {
        int hostPort = TwoNodes.FreePort(), peerPort = TwoNodes.FreePort();
        var network = new NetworkOptions
        {
            Listen = new IPEndPoint(IPAddress.Loopback, hostPort),
            Peers = { new PeerOptions { NodeId = 1, Name = "n1", Address = new IPEndPoint(IPAddress.Loopback, peerPort) } },
            ClusterKey = TwoNodes.Key,
        };
        if (maxMigrationBytes is long max)
        {
            network.MaxMigrationBytes = max;
        }
        Host = NodeHost.Start(new NodeHostOptions
        {
            NodeName = namePrefix + Guid.NewGuid().ToString("N")[..8],
            NodeId = 0,
            Dcs = [new DcOptions { DcId = 0, Name = "dc0", Nodes = 0b11 }],
            Network = network,
            RingCapacity = ringCapacity ?? Dvs.Configuration.IpcConfig.DefaultRingCapacity,
        });
        Node = Host.Attach();
        Peer = new ForgedPeer(1, peerPort, 0, new IPEndPoint(IPAddress.Loopback, hostPort), "dvs", TwoNodes.Key);
        Peer.PumpUntil(() => Peer.Session.State == PeerState.Up && Node.GetPeerState(1) == "up", "handshake");
    }

    public NodeHost Host { get; }

    public Node Node { get; }

    public ForgedPeer Peer { get; }

    public void Dispose()
    {
        Peer.Dispose();
        Node.Dispose();
        Host.Dispose();
    }
}
