using System.Net;
using System.Net.Sockets;

namespace Dvs.Tests.Hosting;

/// <summary>Two node hosts with proxies in this process, talking UDP over loopback.</summary>
internal sealed class TwoNodes : IDisposable
{
    public static readonly byte[] Key = Enumerable.Range(1, 32).Select(i => (byte)i).ToArray();

    public TwoNodes(int dcs = 1)
    {
        int port0 = FreePort(), port1 = FreePort();
        string stem = "p" + Guid.NewGuid().ToString("N")[..10];
        Host0 = Start(stem + "-0", 0, port0, 1, port1, dcs);
        Host1 = Start(stem + "-1", 1, port1, 0, port0, dcs);
        Node0 = Host0.Attach();
        Node1 = Host1.Attach();
    }

    public NodeHost Host0 { get; }
    public NodeHost Host1 { get; }
    public Node Node0 { get; }
    public Node Node1 { get; }

    public static NodeHost Start(string name, int id, int port, int peerId, int peerPort, int dcs) =>
        NodeHost.Start(new NodeHostOptions
        {
            NodeName = name,
            NodeId = id,
            Dcs = Enumerable.Range(0, dcs).Select(d => new DcOptions { DcId = d, Name = $"dc{d}", Nodes = 0b11 }).ToList(),
            Network = new NetworkOptions
            {
                Listen = new IPEndPoint(IPAddress.Loopback, port),
                Peers = { new PeerOptions { NodeId = peerId, Name = $"n{peerId}", Address = new IPEndPoint(IPAddress.Loopback, peerPort) } },
                ClusterKey = Key,
            },
        });

    public static int FreePort()
    {
        using var s = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        s.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)s.LocalEndPoint!).Port;
    }

    public void Dispose()
    {
        Node0.Dispose();
        Node1.Dispose();
        Host0.Dispose();
        Host1.Dispose();
    }
}
