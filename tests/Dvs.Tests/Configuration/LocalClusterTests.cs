using Dvs.Configuration;

using System.Runtime.Versioning;

namespace Dvs.Tests.Configuration;

[TestFixture]
[UnsupportedOSPlatform("windows")] // Unix file modes; Dvs runs on Linux
public class LocalClusterTests
{
    [Test]
    public void WrittenFilesLoadBackAsOneCluster()
    {
        using var dir = new ConfigDir();
        string target = Path.Combine(dir.Path, "cluster");

        IReadOnlyList<string> files = LocalCluster.WriteFiles(target, nodeCount: 3, basePort: 7300, clusterName: "lab");

        string keyFile = Path.Combine(target, "cluster.key");
        Assert.That(files, Is.EqualTo(new[]
        {
            keyFile, Path.Combine(target, "node0.ini"), Path.Combine(target, "node1.ini"), Path.Combine(target, "node2.ini"),
        }));
        Assert.That(File.GetUnixFileMode(keyFile), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite));
        NodeConfig[] configs = files.Skip(1).Select(NodeConfig.Load).ToArray();
        for (int id = 0; id < 3; id++)
        {
            NodeConfig config = configs[id];
            Assert.That(config.Warnings, Is.Empty);
            Assert.That((config.Node.Id, config.Node.Name, config.Node.Port), Is.EqualTo((id, $"node{id}", 7300 + id)));
            Assert.That(config.Cluster.Name, Is.EqualTo("lab"));
            Assert.That(config.Cluster.KeyFile, Is.EqualTo(keyFile));
            Assert.That(config.Cluster.Key.ToArray(), Is.EqualTo(configs[0].Cluster.Key.ToArray()));
            Assert.That(config.Peers.Select(p => (p.Id, p.Port)),
                Is.EquivalentTo(Enumerable.Range(0, 3).Where(p => p != id).Select(p => (p, 7300 + p))));
            Assert.That(config.Dcs.Single().NodeMask, Is.EqualTo(0b111UL));
        }
    }

    [Test]
    public void WriteFilesRefusesToReplaceUnlessAskedAndThenMakesANewKey()
    {
        using var dir = new ConfigDir();
        LocalCluster.WriteFiles(dir.Path + "/c", 2, 7300, overwrite: false);
        string key = File.ReadAllText(dir.Path + "/c/cluster.key");

        Assert.Throws<IOException>(() => LocalCluster.WriteFiles(dir.Path + "/c", 2, 7300, overwrite: false));
        Assert.That(File.ReadAllText(dir.Path + "/c/cluster.key"), Is.EqualTo(key));

        LocalCluster.WriteFiles(dir.Path + "/c", 2, 7300, overwrite: true);
        Assert.That(File.ReadAllText(dir.Path + "/c/cluster.key"), Is.Not.EqualTo(key));
        Assert.That(File.GetUnixFileMode(dir.Path + "/c/cluster.key"), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite));
    }

    [Test]
    public void TheEmbeddedDefaultIsThreeNodesOnLoopbackWithOneDcAndOneKey()
    {
        NodeConfig node1 = NodeConfig.EmbeddedDefault(1);
        NodeConfig node2 = NodeConfig.EmbeddedDefault(2);

        Assert.That((node1.Node.Id, node1.Node.Name, node1.Node.Address, node1.Node.Port),
            Is.EqualTo((1, "node1", "127.0.0.1", LocalCluster.DefaultBasePort + 1)));
        Assert.That(node1.Peers.Select(p => p.Name), Is.EqualTo(new[] { "node0", "node2" }));
        DcConfig dc = node1.Dcs.Single();
        Assert.That((dc.DcId, dc.NodeMask, dc.NrProcs, dc.NrTasks, dc.NrSysProcs), Is.EqualTo((0, 0b111UL, 221, 35, 64)));
        Assert.That(node1.Cluster.Key.ToArray(), Is.EqualTo(node2.Cluster.Key.ToArray()));
        Assert.That(node1.Cluster.Key.Length, Is.EqualTo(64));
        Assert.That(node1.Cluster.KeyFile, Is.Null);
        Assert.Throws<ArgumentOutOfRangeException>(() => NodeConfig.EmbeddedDefault(3));
    }

    [Test]
    public void TheEmbeddedDefaultTakesAKeyFromTheCaller()
    {
        NodeConfig config = NodeConfig.EmbeddedDefault(0, nodeCount: 2, basePort: 9000, keyText: "shared");

        Assert.That(config.Cluster.Key.ToArray(), Is.EqualTo("shared"u8.ToArray()));
        Assert.That(config.Peers.Single().Port, Is.EqualTo(9001));
    }

    [Test]
    public void TheEmbeddedDefaultWrittenAsIniLoadsBack()
    {
        using var dir = new ConfigDir();
        NodeConfig original = NodeConfig.EmbeddedDefault(0, keyText: ConfigDir.KeyText);

        NodeConfig copy = NodeConfig.Load(dir.Write("node0.ini", original.ToIni("cluster.key")));

        Assert.That(copy.Cluster.Key.ToArray(), Is.EqualTo(original.Cluster.Key.ToArray()));
        Assert.That(copy.Peers.Select(p => (p.Name, p.Id, p.Port)), Is.EqualTo(original.Peers.Select(p => (p.Name, p.Id, p.Port))));
        Assert.That(copy.Dcs.Single().NodeMask, Is.EqualTo(original.Dcs.Single().NodeMask));
    }
}
