using System.Net;
using System.Net.Sockets;
using Dvs.Tests.Configuration;

namespace Dvs.Tests.Cli;

/// <summary>
/// When `dvs node run` cannot start for something its file set (the address, the interface, a
/// host name), the message names the file, the line and the key (issue 11.21), the exit code is 1
/// and no node is left behind.
/// </summary>
[TestFixture]
public class NodeRunStartFailureTests
{
    [Test]
    public void AnAddressInUseNamesTheLineOfTheAddress()
    {
        using var dir = new ConfigDir();
        string name = ConfigDir.UniqueNodeName();
        using var taken = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        taken.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        int port = ((IPEndPoint)taken.LocalEndPoint!).Port;
        string path = dir.Write("node0.ini", ConfigDir.ValidIni.Replace("alpha", name)
            .Replace("port = 7100", $"port = {port}").Replace("port = 7101", $"port = {ConfigDir.FreeUdpPort()}"));

        CliResult r = CliRun.Run("node", "run", "--config", path);

        Assert.That(r.ExitCode, Is.EqualTo(1), r.ToString());
        Assert.That(r.Error, Does.Contain($"{path}:4: [node] address: node {name} could not listen on 127.0.0.1:{port}"), r.ToString());
        Assert.That(r.Error, Does.Contain("Address already in use"));
        Assert.Throws<DvsException>(() => Node.Attach(name).Dispose(), "the node host must not be left running");
    }

    [Test]
    public void AnAddressNotOnThisMachineNamesTheLineOfTheAddress()
    {
        using var dir = new ConfigDir();
        string name = ConfigDir.UniqueNodeName();
        // 192.0.2.1 (TEST-NET-1) is on no interface of a test machine.
        string path = dir.Write("node0.ini", ConfigDir.RunnableIni(name).Replace("address = 127.0.0.1\nport", "address = 192.0.2.1\nport"));

        CliResult r = CliRun.Run("node", "run", "--config", path);

        Assert.That(r.ExitCode, Is.EqualTo(1), r.ToString());
        Assert.That(r.Error, Does.Contain($"{path}:4: [node] address: node {name} could not listen on 192.0.2.1:"), r.ToString());
    }

    [Test]
    public void AHostNameThatDoesNotResolveNamesItsSectionAndLine()
    {
        using var dir = new ConfigDir();
        string name = ConfigDir.UniqueNodeName();
        string ini = ConfigDir.RunnableIni(name);
        int peer = ini.IndexOf("[peer.beta]", StringComparison.Ordinal);
        ini = ini[..peer] + ini[peer..].Replace("address = 127.0.0.1", "address = nohost.invalid");
        string path = dir.Write("node0.ini", ini);

        CliResult r = CliRun.Run("node", "run", "--config", path);

        Assert.That(r.ExitCode, Is.EqualTo(1), r.ToString());
        Assert.That(r.Error, Does.Contain($"{path}:13: [peer.beta] address: 'nohost.invalid' does not resolve to an IPv4 address"), r.ToString());
        Assert.Throws<DvsException>(() => Node.Attach(name).Dispose(), "no node host may have started");
    }

    [Test]
    public void AnUnknownRawInterfaceNamesTheLineOfTheInterface()
    {
        using var dir = new ConfigDir();
        string name = ConfigDir.UniqueNodeName();
        string path = dir.Write("node0.ini",
            $"[node]\nid = 0\nname = {name}\ntransport = raw\ninterface = dvsnosuch0\n[cluster]\nkey_file = cluster.key\n"
            + "[peer.beta]\nid = 1\naddress = 02:00:00:00:00:01\n[dc.d]\ndcid = 0\nnodes = 0, 1\n");

        CliResult r = CliRun.Run("node", "run", "--config", path);

        Assert.That(r.ExitCode, Is.EqualTo(1), r.ToString());
        Assert.That(r.Error, Does.Contain($"{path}:5: [node] interface: node {name} could not start on dvsnosuch0"), r.ToString());
    }
}
