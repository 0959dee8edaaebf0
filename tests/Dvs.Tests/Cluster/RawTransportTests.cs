using Dvs.Configuration;
using Dvs.Ipc;
using Dvs.Tests.Ipc;
using Dvs.Tests.Transport;

namespace Dvs.Tests.Cluster;

/// <summary>
/// Two node host processes, each in a network namespace of its own joined by a veth pair, whose
/// proxies talk raw Ethernet (AF_PACKET): a server on one node answers a client on the other. The
/// application processes run in this namespace: they reach their hosts through shared memory
/// (/dev/shm is the same in every network namespace), which is also why names are unique per run.
/// Ignored, with the reason, where the host does not allow network namespaces.
/// </summary>
[TestFixture]
[NonParallelizable]
[Category("Cluster")]
public class RawTransportTests
{
    private const int Server = 1;
    private const long Tag = 11;

    [Test]
    public void SendRecCallsCrossBetweenNamespacesOverRawEthernet()
    {
        using VethPair veth = VethPair.Create(inNamespaces: true);
        string id = Guid.NewGuid().ToString("N")[..10];
        string directory = Path.Combine(Path.GetTempPath(), "dvs-raw-" + id);
        Directory.CreateDirectory(directory);
        string[] names = [$"r{id}n0", $"r{id}n1"];
        var hosts = new NodeProcess?[2];
        try
        {
            string[] inis = WriteConfigs(directory, "r" + id, names,
                [veth.NameA, veth.NameB], [VethPair.Text(veth.MacA), VethPair.Text(veth.MacB)]);
            string[][] launchers = [["ip", "netns", "exec", veth.NamespaceA!], ["ip", "netns", "exec", veth.NamespaceB!]];
            Parallel.For(0, 2, i => hosts[i] = NodeProcess.Start(names[i], inis[i], launchers[i]));

            const int threads = 2;
            const long callsEach = 500;
            using ChildProcess server = ClusterApps.Server(names[0], 0, Server, Tag);
            using ChildProcess clients = ClusterApps.Clients(names[1], 0, 100, threads, Server, callsEach, Tag);
            ClusterApps.ExpectDone(clients, threads, callsEach);

            using Node node0 = Node.Attach(names[0]);
            using (Endpoint stopper = node0.Bind(0, 2))
            {
                Assert.That(ClusterApps.StopServer(server, stopper, Server), Is.EqualTo(threads * callsEach),
                    "the server executed every request exactly once");
            }
            Assert.That(node0.GetCounter(NodeCounter.MessagesReceived), Is.GreaterThanOrEqualTo(threads * callsEach),
                "every request crossed the veth pair to node 0's host");
            Assert.That(node0.GetCounter(NodeCounter.DropBadHmac), Is.Zero);
        }
        finally
        {
            Parallel.ForEach(hosts.Where(h => h is not null && !h.HasExited), h => h!.Stop());
            foreach (NodeProcess? h in hosts)
            {
                h?.Dispose();
            }
            foreach (string name in names)
            {
                string segment = "/dev/shm" + NodeSegment.SegmentNameOf(name);
                if (File.Exists(segment))
                {
                    File.Delete(segment);
                }
            }
            Directory.Delete(directory, recursive: true);
        }
    }

    [Test]
    public void AHostOnAnInterfaceItCannotOpenExitsWithOneAndTheReason()
    {
        string id = Guid.NewGuid().ToString("N")[..10];
        string directory = Path.Combine(Path.GetTempPath(), "dvs-raw-" + id);
        Directory.CreateDirectory(directory);
        string[] names = [$"r{id}n0", $"r{id}n1"];
        try
        {
            string[] inis = WriteConfigs(directory, "r" + id, names, ["dvsnosuch0", "dvsnosuch1"],
                ["02:00:00:00:00:01", "02:00:00:00:00:02"]);

            NodeProcess? host = NodeProcess.TryStart(names[0], inis[0], out string? failure);
            host?.Dispose();

            Assert.That(host, Is.Null, "the host must not run");
            Assert.That(failure, Does.Contain("exited with 1"));
            Assert.That(failure, Does.Contain("no network interface 'dvsnosuch0'"));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Test]
    public void AHostWithoutCapNetRawExitsWithOneAndSaysWhatToDo()
    {
        if (!File.Exists("/usr/bin/setpriv"))
        {
            Assert.Ignore("setpriv(1) is not installed: no way to start a host without CAP_NET_RAW");
        }
        using VethPair veth = VethPair.Create(inNamespaces: false);
        string id = Guid.NewGuid().ToString("N")[..10];
        string directory = Path.Combine(Path.GetTempPath(), "dvs-raw-" + id);
        Directory.CreateDirectory(directory);
        string[] names = [$"r{id}n0", $"r{id}n1"];
        try
        {
            string[] inis = WriteConfigs(directory, "r" + id, names, [veth.NameA, veth.NameB],
                [VethPair.Text(veth.MacA), VethPair.Text(veth.MacB)]);

            // Dropped from the bounding set, the capability is gone even for root after exec.
            NodeProcess? host = NodeProcess.TryStart(names[0], inis[0], out string? failure,
                ["/usr/bin/setpriv", "--bounding-set=-net_raw", "--inh-caps=-net_raw"]);
            host?.Dispose();

            Assert.That(host, Is.Null, "the host must not run");
            Assert.That(failure, Does.Contain("exited with 1"));
            Assert.That(failure, Does.Contain($"raw transport on interface {veth.NameA}").And.Contain("needs CAP_NET_RAW"));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    // One ini per node: raw transport on interfaces[i], the other node's MAC as its peer address.
    private static string[] WriteConfigs(string directory, string clusterName, string[] names, string[] interfaces, string[] macs)
    {
        string keyText = ClusterKey.Generate();
        string keyFile = Path.Combine(directory, LocalCluster.KeyFileName);
        ClusterKey.WriteFile(keyFile, keyText, overwrite: true);
        var cluster = new ClusterConfig
        {
            Name = clusterName, Key = ClusterKey.FromText(keyText), KeyFile = keyFile,
            HeartbeatMs = 100, PeerDownMs = 5000,
        };
        DcConfig[] dcs = [new DcConfig { Name = "dc0", DcId = 0, Nodes = [0, 1] }];
        var paths = new string[names.Length];
        for (int i = 0; i < names.Length; i++)
        {
            int other = 1 - i;
            var config = new NodeConfig
            {
                Node = new LocalNodeConfig { Id = i, Name = names[i], Transport = TransportKind.Raw, Interface = interfaces[i] },
                Cluster = cluster,
                Peers = [new PeerConfig { Name = names[other], Id = other, Address = macs[other] }],
                Dcs = dcs,
            };
            paths[i] = Path.Combine(directory, $"node{i}.ini");
            File.WriteAllText(paths[i], config.ToIni(LocalCluster.KeyFileName));
        }
        return paths;
    }
}
