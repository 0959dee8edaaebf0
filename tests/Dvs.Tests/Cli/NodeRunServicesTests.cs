using Dvs.Hosting;
using Dvs.Services;
using Dvs.Tests.Configuration;

namespace Dvs.Tests.Cli;

/// <summary>dvs node run starts the [service.*] sections and listens on its control socket.</summary>
[TestFixture]
public class NodeRunServicesTests
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(30);

    private const string KvSection = """

        [service.store]
        dc = web
        endpoint = 6
        kind = kv

        """;

    [Test]
    public async Task TheConfiguredServicesServeAndTheControlSocketAnswersUntilTheHostStops()
    {
        using var dir = new ConfigDir();
        string name = ConfigDir.UniqueNodeName();
        string path = dir.Write("node0.ini", ConfigDir.RunnableIni(name) + KvSection);
        using var stop = new CancellationTokenSource();
        var output = new ObservedWriter();

        Task<CliResult> run = CliRun.RunAsync(["node", "run", "--config", path], stop.Token, output);
        string? socket;
        try
        {
            await output.WhenWritten("service store").WaitAsync(Generous);
            using (Node node = Node.Attach(name))
            using (Endpoint client = node.Bind(3, 20))
            {
                var echo = new Message(42) { [0] = 7 };
                Assert.That(client.SendRec(5, ref echo, DvsTimeout.FromMilliseconds(30_000)), Is.EqualTo(DvsError.Ok));
                Assert.That((echo.Type, echo[0]), Is.EqualTo((42, 7L)), "[service.echo] answers with the request");
                for (long i = 1; i <= 3; i++)
                {
                    var inc = new Message(KeyValueService.Increment) { [0] = 20 };
                    Assert.That(client.SendRec(6, ref inc, DvsTimeout.FromMilliseconds(30_000)), Is.EqualTo(DvsError.Ok));
                    Assert.That(inc[0], Is.EqualTo(i), "[service.store] is a kv service");
                }
            }

            socket = ControlSocketPath.Find(name);
            Assert.That(socket, Is.Not.Null);
            Assert.That(output.Text, Does.Contain($"control socket {socket};"));
            using ControlClient control = ControlClient.ForNode(name);
            NodeStatus status = control.Status().Status!;
            Assert.That(status.Peers.Select(p => p.Name), Is.EqualTo(new[] { "beta" }));
            Assert.That(status.Dcs.Single().Endpoints.Where(e => e.Service is not null).Select(e => (e.Endpoint, e.Service!.Kind, e.Service.Executed)),
                Is.EquivalentTo(new[] { (5, "echo", 1L), (6, "kv", 3L) }));
        }
        finally
        {
            await stop.CancelAsync();
        }

        CliResult r = await run.WaitAsync(Generous);
        Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString());
        Assert.That(r.Output, Does.Contain("service echo (echo) serving endpoint 5 of DC web"));
        Assert.That(File.Exists(socket), Is.False, "the control socket is removed on stop");
    }

    [Test]
    public void AnUnknownServiceKindIsAConfigurationErrorAtItsLine()
    {
        using var dir = new ConfigDir();
        string name = ConfigDir.UniqueNodeName();
        string text = ConfigDir.RunnableIni(name) + KvSection.Replace("kind = kv", "kind = teleporter");
        string path = dir.Write("node0.ini", text);
        int line = Array.IndexOf(text.ReplaceLineEndings("\n").Split('\n'), "kind = teleporter") + 1;

        CliResult r = CliRun.Run("node", "run", "--config", path);

        Assert.That(r.ExitCode, Is.EqualTo(2), r.ToString());
        Assert.That(r.Error, Does.Contain($"{path}:{line}: [service.store] kind: 'teleporter' is not a service kind this host can start (kinds: echo, kv)"));
        Assert.Throws<DvsException>(() => Node.Attach(name).Dispose(), "no node host may have started");
    }
}
