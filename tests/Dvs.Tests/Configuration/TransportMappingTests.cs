using Dvs.Configuration;
using System.Net;
using System.Net.NetworkInformation;

namespace Dvs.Tests.Configuration;

/// <summary>What <c>[node] transport</c> becomes in the node host's <see cref="NetworkOptions"/>.</summary>
[TestFixture]
public class TransportMappingTests
{
    [Test]
    public void UdpIsTheDefault()
    {
        using var dir = new ConfigDir();
        NetworkOptions network = NodeConfig.Parse(ConfigDir.ValidIni, "node0.ini", dir.Path).ToNodeHostOptions().Network!;

        Assert.That(network.Transport, Is.EqualTo(TransportKind.Udp));
        Assert.That(network.Interface, Is.Null);
    }

    [Test]
    public void MtuDefaultsToAnEthernetFrameAndIsTakenFromTheNodeSection()
    {
        using var dir = new ConfigDir();
        NetworkOptions byDefault = NodeConfig.Parse(ConfigDir.ValidIni, "node0.ini", dir.Path).ToNodeHostOptions().Network!;
        string ini = ConfigDir.ValidIni.Replace("port = 7100", "port = 7100\nmtu = 65507");

        NodeConfig config = NodeConfig.Parse(ini, "node0.ini", dir.Path);

        Assert.That(byDefault.Mtu, Is.EqualTo(1472));
        Assert.That(config.Node.Mtu, Is.EqualTo(65507));
        Assert.That(config.ToNodeHostOptions().Network!.Mtu, Is.EqualTo(65507));
    }

    [Test]
    public void TcpKeepsTheAddressesAndPorts()
    {
        using var dir = new ConfigDir();
        string ini = ConfigDir.ValidIni.Replace("port = 7100", "port = 7100\ntransport = tcp");

        NetworkOptions network = NodeConfig.Parse(ini, "node0.ini", dir.Path).ToNodeHostOptions().Network!;

        Assert.That(network.Transport, Is.EqualTo(TransportKind.Tcp));
        Assert.That(network.Listen, Is.EqualTo(new IPEndPoint(IPAddress.Loopback, 7100)));
        PeerOptions peer = network.Peers.Single();
        Assert.That(peer.Address, Is.EqualTo(new IPEndPoint(IPAddress.Loopback, 7101)));
        Assert.That(peer.MacAddress, Is.Null);
    }

    [Test]
    public void RawTakesTheInterfaceAndEachPeersMacAddress()
    {
        using var dir = new ConfigDir();
        string ini =
            """
            [node]
            id = 0
            name = a
            transport = raw
            interface = veth0
            [cluster]
            key_file = cluster.key
            [peer.b]
            id = 1
            address = 02:00:00:00:00:01
            [peer.c]
            id = 2
            address = 02-00-00-00-0A-FF
            [dc.d]
            dcid = 0
            nodes = 0, 1, 2
            """;

        NetworkOptions network = NodeConfig.Parse(ini, "raw.ini", dir.Path).ToNodeHostOptions().Network!;

        Assert.That(network.Transport, Is.EqualTo(TransportKind.Raw));
        Assert.That(network.Interface, Is.EqualTo("veth0"));
        Assert.That(network.Peers.Select(p => (p.NodeId, p.Name, p.MacAddress)), Is.EqualTo(new[]
        {
            (1, "b", PhysicalAddress.Parse("02:00:00:00:00:01")),
            (2, "c", PhysicalAddress.Parse("02:00:00:00:0a:ff")),
        }));
    }

    [Test]
    public void ARawPeerAddressThatIsNoMacIsReportedWithFileLineAndKey()
    {
        using var dir = new ConfigDir();
        string ini = "[node]\nid = 0\nname = a\ntransport = raw\ninterface = veth0\n[cluster]\nkey_file = cluster.key\n"
            + "[peer.b]\nid = 1\naddress = 10.0.0.2\n";

        var e = Assert.Throws<ConfigException>(() => NodeConfig.Parse(ini, "raw.ini", dir.Path))!;

        Assert.That(e.Message, Does.Contain("raw.ini:10: [peer.b] address: '10.0.0.2' is not a MAC address"));
    }
}
