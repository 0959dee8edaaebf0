using System.Runtime.Versioning;
using System.Net.Sockets;
using System.Text;
using Dvs.Hosting;
using Dvs.Services;

namespace Dvs.Tests.Hosting;

/// <summary>The control socket of a node host (no peers here: the migrations are in the cluster tests).</summary>
[TestFixture]
[UnsupportedOSPlatform("windows")] // Unix file modes; Dvs runs on Linux
public class ControlServerTests
{
    private string _dir = "";

    [SetUp]
    public void CreateFolder() => _dir = Directory.CreateTempSubdirectory("dvs-control-test-").FullName;

    [TearDown]
    public void RemoveFolder() => Directory.Delete(_dir, recursive: true);

    private (NodeHost Host, string Path) StartHost()
    {
        string name = $"ctl-{Environment.ProcessId}-{Guid.NewGuid():N}"[..24];
        string path = Path.Combine(_dir, name + ".sock");
        NodeHost host = NodeHost.Start(new NodeHostOptions { NodeName = name, NodeId = 2, ControlSocket = path });
        return (host, path);
    }

    [Test]
    public void StatusNamesTheNodeAndItsEndpointsWithTheirHostedServices()
    {
        (NodeHost host, string path) = StartHost();
        using (host)
        using (Node node = host.Attach())
        using (Endpoint plain = node.Bind(0, 7))
        {
            host.RegisterServiceKind(KeyValueService.KindName, () => new KeyValueService());
            host.HostService(0, 10, KeyValueService.KindName);
            using ControlClient client = ControlClient.Connect(path);

            ControlResponse r = client.Status();

            Assert.That((r.Ok, r.DvsError), Is.EqualTo((true, DvsError.Ok)));
            NodeStatus status = r.Status!;
            Assert.That((status.NodeId, status.Name, status.Incarnation), Is.EqualTo((2, host.NodeName, host.Incarnation)));
            Assert.That(status.Build, Is.EqualTo(DvsVersion.Current).And.Not.Empty, "the segment header's build info");
            List<EndpointStatus> endpoints = status.Dcs.Single(d => d.DcId == 0).Endpoints;
            Assert.That(endpoints.Select(e => (e.Endpoint, e.State, e.Owner, e.Epoch)), Is.EquivalentTo(new[] { (7, "local", 2, 0u), (10, "local", 2, 0u) }));
            Assert.That(endpoints.Single(e => e.Endpoint == 7).Service, Is.Null);
            Assert.That(endpoints.Single(e => e.Endpoint == 10).Service?.Kind, Is.EqualTo("kv"));
            Assert.That(status.Counters, Does.ContainKey("migrationsCommitted"));
        }
    }

    [Test]
    public void TheSocketIsForItsOwnerOnlyAndGoneWhenTheHostStops()
    {
        (NodeHost host, string path) = StartHost();
        using (host)
        {
            Assert.That(host.ControlSocket, Is.EqualTo(path));
            Assert.That(File.GetUnixFileMode(path), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite));
        }
        Assert.That(File.Exists(path), Is.False);
        Assert.Throws<DvsException>(() => ControlClient.Connect(path).Dispose());
    }

    [Test]
    public void AStaleFileAtThePathIsReplaced()
    {
        string name = $"ctl-{Environment.ProcessId}-{Guid.NewGuid():N}"[..24];
        string path = Path.Combine(_dir, name + ".sock");
        File.WriteAllText(path, "left by a host killed with -9");
        using NodeHost host = NodeHost.Start(new NodeHostOptions { NodeName = name, ControlSocket = path });
        using ControlClient client = ControlClient.Connect(path);
        Assert.That(client.Status().Status!.Name, Is.EqualTo(name));
    }

    [TestCase(-1)]
    [TestCase(32)]
    [TestCase(int.MinValue)]
    public void AMigrationOfADcOutOfRangeIsRefusedAsBadDcId(int dc)
    {
        // Issue 11.19: dc -1 reached the proxy's DC table and came back as "Generic (-99): Index
        // was outside the bounds of the array", with a stack trace in the host's log.
        using var nodes = new TwoNodes();
        string path = Path.Combine(_dir, "two.sock");
        ControlServer server = ControlServer.Start(path, nodes.Host0, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
        using (server)
        {
            ControlResponse r = server.Handle($"{{\"command\":\"migrate\",\"dc\":{dc},\"endpoint\":10,\"to\":1}}");
            Assert.That((r.Ok, r.DvsError), Is.EqualTo((false, DvsError.BadDcId)), r.Message);
            ControlResponse start = server.Handle($"{{\"command\":\"migrate-start\",\"dc\":{dc},\"endpoint\":10,\"to\":1}}");
            Assert.That((start.Ok, start.DvsError), Is.EqualTo((false, DvsError.BadDcId)), start.Message);
        }
    }

    [Test]
    public void ConnectionsBeyondTheCapAreRefusedWithoutAThreadEachAndTheOthersServeOn()
    {
        // Issue 11.22: 2,000 idle connections made 2,015 threads.
        (NodeHost host, string path) = StartHost();
        var idle = new List<Socket>();
        using (host)
        {
            try
            {
                int threadsBefore = System.Diagnostics.Process.GetCurrentProcess().Threads.Count;
                for (int i = 0; i < 200; i++)
                {
                    var s = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                    s.Connect(new UnixDomainSocketEndPoint(path));
                    idle.Add(s);
                }
                // One more is answered at once with a refusal (the server accepted every one before it).
                using var extra = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                extra.Connect(new UnixDomainSocketEndPoint(path));
                extra.ReceiveTimeout = 30_000;
                string refusal = ReadAll(extra);
                Assert.That(refusal, Does.Contain("RscBusy").And.Contain("too many control connections"));

                int threadsAfter = System.Diagnostics.Process.GetCurrentProcess().Threads.Count;
                Assert.That(threadsAfter - threadsBefore, Is.LessThan(ControlServer.MaxConnections + 20),
                    "each idle connection must not hold a thread of its own");

                // A connection within the cap still serves.
                idle[0].Send(Encoding.UTF8.GetBytes("{\"command\":\"status\"}\n"));
                idle[0].ReceiveTimeout = 30_000;
                var buffer = new byte[65536];
                int n = idle[0].Receive(buffer);
                Assert.That(Encoding.UTF8.GetString(buffer, 0, n), Does.Contain("\"ok\":true"));
            }
            finally
            {
                idle.ForEach(s => s.Dispose());
            }
        }
    }

    private static string ReadAll(Socket socket)
    {
        var text = new StringBuilder();
        var buffer = new byte[4096];
        int n;
        while ((n = socket.Receive(buffer)) > 0)
        {
            text.Append(Encoding.UTF8.GetString(buffer, 0, n));
        }
        return text.ToString();
    }

    [Test]
    public void BadRequestsAreAnsweredAndTheConnectionServesOn()
    {
        (NodeHost host, string path) = StartHost();
        using (host)
        {
            using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            socket.Connect(new UnixDomainSocketEndPoint(path));
            using var stream = new NetworkStream(socket);
            using var reader = new StreamReader(stream, Encoding.UTF8);
            using var writer = new StreamWriter(stream, new UTF8Encoding(false)) { NewLine = "\n", AutoFlush = true };

            writer.WriteLine("not json");
            Assert.That(reader.ReadLine(), Does.Contain("\"error\":\"BadRequest\"").And.Contain("not a JSON request"));
            writer.WriteLine("{\"command\":\"reboot\"}");
            Assert.That(reader.ReadLine(), Does.Contain("\"ok\":false").And.Contain("unknown command"));
            writer.WriteLine("{\"command\":\"migrate\",\"dc\":0}");
            Assert.That(reader.ReadLine(), Does.Contain("migrate needs endpoint, to"));
            writer.WriteLine("{\"command\":\"migrate-commit\",\"endpoint\":3}");
            Assert.That(reader.ReadLine(), Does.Contain("migrate-commit needs dc"));
            writer.WriteLine("{\"command\":\"status\"}");
            Assert.That(reader.ReadLine(), Does.StartWith("{\"ok\":true,"));
        }
    }

    [Test]
    public void AnOverlongRequestIsRefusedAndTheConnectionClosed()
    {
        (NodeHost host, string path) = StartHost();
        using (host)
        {
            using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            socket.Connect(new UnixDomainSocketEndPoint(path));
            using var stream = new NetworkStream(socket);
            using var reader = new StreamReader(stream, Encoding.UTF8);
            byte[] flood = Encoding.ASCII.GetBytes(new string('x', ControlServer.MaxRequestBytes + 1) + "\n");
            stream.Write(flood);
            Assert.That(reader.ReadLine(), Does.Contain("BadRequest").And.Contain("longer than"));
            Assert.That(reader.ReadLine(), Is.Null, "the server closed the connection");
        }
    }

    [Test]
    public void MigrationCommandsOfAHostWithoutPeersFailInTheirPhase()
    {
        (NodeHost host, string path) = StartHost();
        using (host)
        {
            using ControlClient client = ControlClient.Connect(path);
            ControlResponse migrate = client.Migrate(0, 10, 1);
            Assert.That((migrate.Ok, migrate.DvsError, migrate.Phase, migrate.From, migrate.To), Is.EqualTo((false, DvsError.NoProxy, "start", (int?)2, (int?)1)));
            Assert.That(migrate.Message, Does.Contain("failed in phase start"));
            ControlResponse commit = client.MigrateCommit(0, 10);
            Assert.That((commit.Ok, commit.DvsError, commit.Phase), Is.EqualTo((false, DvsError.NoProxy, "commit")));
            ControlResponse rollback = client.MigrateRollback(0, 10);
            Assert.That((rollback.Ok, rollback.DvsError, rollback.Phase), Is.EqualTo((false, DvsError.NoProxy, "rollback")));
        }
    }

    [Test]
    public void StoppingTheHostEndsOpenConnections()
    {
        (NodeHost host, string path) = StartHost();
        ControlClient client = ControlClient.Connect(path);
        try
        {
            Assert.That(client.Status().Ok, Is.True);
            host.Dispose();
            var e = Assert.Throws<DvsException>(() => client.Status());
            Assert.That(e!.Error, Is.EqualTo(DvsError.NotConnected));
        }
        finally
        {
            client.Dispose();
            host.Dispose();
        }
    }
}
