using Dvs.Configuration;

namespace Dvs.Tests.Configuration;

[TestFixture]
public class NodeConfigLoadTests
{
    [Test]
    public void AServiceNamesItsDcByNameOrByDcid()
    {
        // As dvs migrate --dc takes the id, and nodes = takes ids or names (issue 11, docs and CLI).
        using var dir = new ConfigDir();
        NodeConfig byId = NodeConfig.Parse(ConfigDir.ValidIni.Replace("dc = web", "dc = 3"), "node0.ini", dir.Path);

        Assert.That(byId.Services.Single().Dc, Is.EqualTo("web"));
        var e = Assert.Throws<ConfigException>(() => NodeConfig.Parse(ConfigDir.ValidIni.Replace("dc = web", "dc = 0"), "node0.ini", dir.Path))!;
        Assert.That(e.Message, Is.EqualTo("node0.ini:24: [service.echo] dc: '0' names no [dc.<name>] section (by name or dcid)"));
    }

    [Test]
    public void TheMigrationTimeoutIsSetInTheFileAndReachesTheHost()
    {
        using var dir = new ConfigDir();
        NodeConfig config = NodeConfig.Parse(ConfigDir.ValidIni.Replace("port = 7100", "port = 7100\nmigration_timeout_ms = 2500"), "node0.ini", dir.Path);

        Assert.That(config.Node.MigrationTimeoutMs, Is.EqualTo(2500));
        NodeHostOptions options = config.ToNodeHostOptions();
        Assert.That(options.MigrationTimeout, Is.EqualTo(TimeSpan.FromMilliseconds(2500)));
        using NodeHost host = NodeHost.Start(new NodeHostOptions { NodeName = ConfigDir.UniqueNodeName(), MigrationTimeout = options.MigrationTimeout });
        Assert.That(host.MigrationTimeout, Is.EqualTo(TimeSpan.FromMilliseconds(2500)));
    }

    [Test]
    public void AValidFileLoadsEverySection()
    {
        using var dir = new ConfigDir();
        string path = dir.Write("node0.ini", ConfigDir.ValidIni);

        NodeConfig config = NodeConfig.Load(path);

        Assert.That(config.SourceFile, Is.EqualTo(path));
        Assert.That(config.Node.Id, Is.EqualTo(0));
        Assert.That(config.Node.Name, Is.EqualTo("alpha"));
        Assert.That(config.Node.Address, Is.EqualTo("127.0.0.1"));
        Assert.That(config.Node.Port, Is.EqualTo(7100));
        Assert.That(config.Node.Transport, Is.EqualTo(TransportKind.Udp));
        Assert.That(config.Cluster.Name, Is.EqualTo("test"));
        Assert.That(config.Cluster.KeyFile, Is.EqualTo(dir.KeyFile));
        Assert.That(config.Cluster.Key.ToArray(), Is.EqualTo("0123456789abcdef0123456789abcdef"u8.ToArray()));
        Assert.That(config.Peers, Has.Count.EqualTo(1));
        Assert.That(config.Peers[0].Name, Is.EqualTo("beta"));
        Assert.That(config.Peers[0].Id, Is.EqualTo(1));
        Assert.That(config.Peers[0].Port, Is.EqualTo(7101));
        DcConfig dc = config.Dcs.Single();
        Assert.That(dc.Name, Is.EqualTo("web"));
        Assert.That(dc.DcId, Is.EqualTo(3));
        Assert.That(dc.Nodes, Is.EqualTo(new[] { 0, 1 }));
        Assert.That(dc.NodeMask, Is.EqualTo(0b11UL));
        Assert.That((dc.NrProcs, dc.NrTasks, dc.NrSysProcs), Is.EqualTo((100, 20, 30)));
        ServiceConfig service = config.Services.Single();
        Assert.That((service.Name, service.Dc, service.Endpoint, service.Kind, service.Args),
            Is.EqualTo(("echo", "web", 5, "echo", "--fast")));
        Assert.That(config.Warnings, Is.Empty);
    }

    [Test]
    public void OmittedKeysTakeTheDvsDefaults()
    {
        using var dir = new ConfigDir();
        string path = dir.Write("min.ini",
            """
            ; the smallest useful file
            [node]
            id = 2
            name = solo
            address = localhost
            port = 9000
            # a comment of the other kind
            [cluster]
            key_file = cluster.key
            [dc.dc0]
            dcid = 0
            nodes = solo
            """);

        NodeConfig config = NodeConfig.Load(path);

        Assert.That(config.Cluster.Name, Is.EqualTo("dvs"));
        Assert.That(config.Cluster.HeartbeatMs, Is.EqualTo(100));
        Assert.That(config.Cluster.PeerDownMs, Is.EqualTo(1000));
        Assert.That(config.Ipc.RingCapacity, Is.EqualTo(IpcConfig.DefaultRingCapacity));
        Assert.That(config.Ipc.SpinUs, Is.EqualTo(50));
        DcConfig dc = config.Dcs.Single();
        Assert.That((dc.NrProcs, dc.NrTasks, dc.NrSysProcs), Is.EqualTo((221, 35, 64)));
        Assert.That(dc.Nodes, Is.EqualTo(new[] { 2 }));
        Assert.That(config.Peers, Is.Empty);
    }

    [Test]
    public void QuotesAreRemovedAndNamesIgnoreCaseAsInTheIniProvider()
    {
        using var dir = new ConfigDir();
        string path = dir.Write("q.ini", ConfigDir.ValidIni
            .Replace("name = alpha", "NAME = \"alpha\"")
            .Replace("[peer.beta]", "[Peer.beta]")
            .Replace("nodes = alpha, 1", "nodes = ALPHA beta"));

        NodeConfig config = NodeConfig.Load(path);

        Assert.That(config.Node.Name, Is.EqualTo("alpha"));
        Assert.That(config.Peers.Single().Name, Is.EqualTo("beta"));
        Assert.That(config.Dcs.Single().Nodes, Is.EqualTo(new[] { 0, 1 }));
    }

    [Test]
    public void WindowsLineEndingsKeepTheLineNumbers()
    {
        using var dir = new ConfigDir();
        string text = ConfigDir.ValidIni.Replace("nr_tasks = 20", "nr_tasks = 36").ReplaceLineEndings("\r\n");

        var e = Assert.Throws<ConfigException>(() => NodeConfig.Parse(text, "node0.ini", dir.Path))!;

        Assert.That(e.Message, Is.EqualTo("node0.ini:20: [dc.web] nr_tasks: 36 is out of range (0..35)"));
        Assert.That(NodeConfig.Parse(ConfigDir.ValidIni.ReplaceLineEndings("\r\n"), "node0.ini", dir.Path).Node.Name,
            Is.EqualTo("alpha"));
    }

    [Test]
    public void RawTransportNeedsAnInterfaceAndTakesMacAddressesForPeers()
    {
        using var dir = new ConfigDir();
        string path = dir.Write("raw.ini",
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
            [dc.d]
            dcid = 0
            nodes = 0, 1
            """);

        NodeConfig config = NodeConfig.Load(path);

        Assert.That(config.Node.Transport, Is.EqualTo(TransportKind.Raw));
        Assert.That(config.Node.Interface, Is.EqualTo("veth0"));
        Assert.That(config.Node.Address, Is.Null);
        Assert.That(config.Peers.Single().Address, Is.EqualTo("02:00:00:00:00:01"));
        Assert.That(config.Peers.Single().Port, Is.EqualTo(0));
    }

    [Test]
    public void IpcTuningIsRead()
    {
        using var dir = new ConfigDir();
        string path = dir.Write("ipc.ini", ConfigDir.ValidIni + "[ipc]\nring_capacity = 1024\nspin_us = 0\n");

        NodeConfig config = NodeConfig.Load(path);

        Assert.That((config.Ipc.RingCapacity, config.Ipc.SpinUs), Is.EqualTo((1024, 0)));
    }

    [Test]
    public void TheConfigurationMapsToNodeHostOptions()
    {
        using var dir = new ConfigDir();
        NodeConfig config = NodeConfig.Load(dir.Write("n.ini", ConfigDir.ValidIni + "[ipc]\nring_capacity = 64\n"));

        NodeHostOptions options = config.ToNodeHostOptions();

        Assert.That(options.NodeName, Is.EqualTo("alpha"));
        Assert.That(options.NodeId, Is.EqualTo(0));
        Assert.That(options.Cluster, Is.EqualTo("test"));
        Assert.That(options.RingCapacity, Is.EqualTo(64));
        DcOptions dc = options.Dcs.Single();
        Assert.That((dc.DcId, dc.Name, dc.NrProcs, dc.NrTasks, dc.NrSysProcs, dc.Nodes),
            Is.EqualTo((3, "web", 100, 20, 30, 0b11UL)));
    }

    [Test]
    public void AMappedConfigurationStartsARealNodeHost()
    {
        using var dir = new ConfigDir();
        string name = ConfigDir.UniqueNodeName();
        NodeConfig config = NodeConfig.Load(dir.Write("n.ini", ConfigDir.ValidIni.Replace("alpha", name)));

        using NodeHost host = NodeHost.Start(config.ToNodeHostOptions());
        using Node node = host.Attach();
        using Endpoint endpoint = node.Bind(3, 5);

        Assert.That(host.NodeName, Is.EqualTo(name));
        Assert.That(endpoint.DcId, Is.EqualTo(3));
    }

    [Test]
    public void AFileWrittenByToIniReadsBackEqual()
    {
        using var dir = new ConfigDir();
        NodeConfig original = NodeConfig.Load(dir.Write("a.ini",
            ConfigDir.ValidIni.Replace("port = 7100", "port = 7100\nmtu = 9000") + "[ipc]\nspin_us = 7\n"));

        NodeConfig copy = NodeConfig.Load(dir.Write("b.ini", original.ToIni("cluster.key")));

        Assert.That(copy.Node.Name, Is.EqualTo(original.Node.Name));
        Assert.That(copy.Node.Port, Is.EqualTo(original.Node.Port));
        Assert.That(copy.Cluster.Name, Is.EqualTo(original.Cluster.Name));
        Assert.That(copy.Cluster.Key.ToArray(), Is.EqualTo(original.Cluster.Key.ToArray()));
        Assert.That(copy.Peers.Select(p => (p.Name, p.Id, p.Address, p.Port)),
            Is.EqualTo(original.Peers.Select(p => (p.Name, p.Id, p.Address, p.Port))));
        Assert.That(copy.Dcs.Select(d => (d.Name, d.DcId, d.NodeMask, d.NrProcs, d.NrTasks, d.NrSysProcs)),
            Is.EqualTo(original.Dcs.Select(d => (d.Name, d.DcId, d.NodeMask, d.NrProcs, d.NrTasks, d.NrSysProcs))));
        Assert.That(copy.Services.Select(s => (s.Name, s.Dc, s.Endpoint, s.Kind, s.Args)),
            Is.EqualTo(original.Services.Select(s => (s.Name, s.Dc, s.Endpoint, s.Kind, s.Args))));
        Assert.That(copy.Ipc.SpinUs, Is.EqualTo(7));
        Assert.That(copy.Node.Mtu, Is.EqualTo(9000));
    }
}
