using System.Runtime.Versioning;
using Dvs.Configuration;
using Dvs.Tests.Configuration;

namespace Dvs.Tests.Cli;

[TestFixture]
[UnsupportedOSPlatform("windows")] // Unix file modes; Dvs runs on Linux
public class ConfigInitCommandTests
{
    [Test]
    public void InitWritesFilesThatConfigCheckAccepts()
    {
        using var dir = new ConfigDir();
        string target = Path.Combine(dir.Path, "lab");

        CliResult r = CliRun.Run("config", "init", "--nodes", "4", "--dir", target, "--base-port", "7500");

        Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString());
        string key = Path.Combine(target, "cluster.key");
        Assert.That(r.Output, Does.Contain($"wrote {key}"));
        Assert.That(File.GetUnixFileMode(key), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite));
        for (int id = 0; id < 4; id++)
        {
            string ini = Path.Combine(target, $"node{id}.ini");
            Assert.That(r.Output, Does.Contain($"wrote {ini}"));
            CliResult check = CliRun.Run("config", "check", ini);
            Assert.That(check.ExitCode, Is.EqualTo(0), check.ToString());
            Assert.That(check.Output, Does.Contain($"node{id} (id {id}), udp 127.0.0.1:{7500 + id}"));
            Assert.That(check.Output, Does.Contain("4 nodes"));
        }

        Assert.That(File.Exists(Path.Combine(target, "node4.ini")), Is.False);
    }

    [Test]
    public void InitWritesAServiceExampleAndTheMigrationTimeout()
    {
        using var dir = new ConfigDir();
        string target = Path.Combine(dir.Path, "lab");

        CliResult r = CliRun.Run("config", "init", "--nodes", "2", "--dir", target);

        Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString());
        string ini = File.ReadAllText(Path.Combine(target, "node0.ini"));
        Assert.That(ini, Does.Contain("; [service.kv]\n; dc = dc0\n; endpoint = 10\n; kind = kv"));
        Assert.That(ini, Does.Contain("migration_timeout_ms = 10000"));
    }

    [Test]
    public void InitRefusesToReplaceFilesUnlessForced()
    {
        using var dir = new ConfigDir();
        string target = Path.Combine(dir.Path, "lab");
        Assert.That(CliRun.Run("config", "init", "--dir", target).ExitCode, Is.EqualTo(0));
        string key = File.ReadAllText(Path.Combine(target, "cluster.key"));

        CliResult again = CliRun.Run("config", "init", "--dir", target);
        Assert.That(again.ExitCode, Is.EqualTo(2), again.ToString());
        Assert.That(again.Error, Does.Contain("already exists").And.Contain("--force"));
        Assert.That(File.ReadAllText(Path.Combine(target, "cluster.key")), Is.EqualTo(key));

        CliResult forced = CliRun.Run("config", "init", "--dir", target, "--force");
        Assert.That(forced.ExitCode, Is.EqualTo(0), forced.ToString());
        Assert.That(File.ReadAllText(Path.Combine(target, "cluster.key")), Is.Not.EqualTo(key));
    }

    [TestCase("--nodes", "0")]
    [TestCase("--nodes", "33")]
    [TestCase("--nodes", "three")]
    [TestCase("--base-port", "0")]
    [TestCase("--cluster", "bad/name")]
    [TestCase("--prefix", "-x")]
    public void BadOptionsAreUsageErrorsAndWriteNothing(string option, string value)
    {
        using var dir = new ConfigDir();
        string target = Path.Combine(dir.Path, "lab");

        CliResult r = CliRun.Run("config", "init", "--dir", target, option, value);

        Assert.That(r.ExitCode, Is.EqualTo(2), r.ToString());
        Assert.That(r.Error, Does.Contain(option == "--nodes" && value == "three" ? "three" : option));
        Assert.That(Directory.Exists(target), Is.False);
    }

    [Test]
    public void APrefixNamesTheNodesAndTheirFiles()
    {
        using var dir = new ConfigDir();
        string target = Path.Combine(dir.Path, "lab");

        CliResult r = CliRun.Run("config", "init", "--nodes", "2", "--dir", target, "--prefix", "lab-");

        Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString());
        NodeConfig lab1 = NodeConfig.Load(Path.Combine(target, "lab-1.ini"));
        Assert.That(lab1.Node.Name, Is.EqualTo("lab-1"));
        Assert.That(lab1.Peers.Single().Name, Is.EqualTo("lab-0"));
        Assert.That(File.Exists(Path.Combine(target, "node0.ini")), Is.False);
    }

    [Test]
    public void TheDefaultIsAThreeNodeCluster()
    {
        using var dir = new ConfigDir();
        string target = Path.Combine(dir.Path, "lab");

        Assert.That(CliRun.Run("config", "init", "--dir", target).ExitCode, Is.EqualTo(0));

        NodeConfig node2 = NodeConfig.Load(Path.Combine(target, "node2.ini"));
        Assert.That(node2.Peers, Has.Count.EqualTo(2));
        Assert.That(node2.Node.Port, Is.EqualTo(LocalCluster.DefaultBasePort + 2));
        Assert.That(File.Exists(Path.Combine(target, "node3.ini")), Is.False);
    }
}
