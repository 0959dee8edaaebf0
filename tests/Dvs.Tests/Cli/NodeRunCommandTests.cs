using System.Diagnostics;
using Dvs.Tests.Configuration;

namespace Dvs.Tests.Cli;

[TestFixture]
public class NodeRunCommandTests
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(30);

    [Test]
    public void ABadConfigurationExitsWithTwoBeforeStartingAnything()
    {
        using var dir = new ConfigDir();
        string name = ConfigDir.UniqueNodeName();
        string path = dir.Write("node0.ini", ConfigDir.ValidIni.Replace("alpha", name).Replace("dcid = 3", "dcid = 99"));

        CliResult r = CliRun.Run("node", "run", "--config", path);

        Assert.That(r.ExitCode, Is.EqualTo(2), r.ToString());
        Assert.That(r.Error, Does.Contain($"{path}:17: [dc.web] dcid: 99 is out of range (0..31)"));
        Assert.That(r.Output, Is.Empty);
        Assert.Throws<DvsException>(() => Node.Attach(name).Dispose(), "no node host may have started");
    }

    [Test]
    public void ARawTransportOnAMissingInterfaceExitsWithOneAndSaysWhatToChange()
    {
        using var dir = new ConfigDir();
        string name = ConfigDir.UniqueNodeName();
        string path = dir.Write("node0.ini",
            $"[node]\nid = 0\nname = {name}\ntransport = raw\ninterface = dvsnosuch0\n[cluster]\nkey_file = cluster.key\n"
            + "[peer.beta]\nid = 1\naddress = 02:00:00:00:00:01\n[dc.d]\ndcid = 0\nnodes = 0, 1\n");

        CliResult r = CliRun.Run("node", "run", "--config", path);

        Assert.That(r.ExitCode, Is.EqualTo(1), r.ToString());
        Assert.That(r.Error, Does.Contain($"node {name} could not start"));
        Assert.That(r.Error, Does.Contain("no network interface 'dvsnosuch0'").And.Contain("[node] interface"));
        Assert.Throws<DvsException>(() => Node.Attach(name).Dispose(), "the node host must not be left running");
    }

    [Test]
    public void WithoutConfigItIsAUsageError()
    {
        CliResult r = CliRun.Run("node", "run");

        Assert.That(r.ExitCode, Is.EqualTo(2), r.ToString());
        Assert.That(r.Error, Does.Contain("--config"));
    }

    [Test]
    public async Task ItHostsTheConfiguredNodeUntilCancelledThenRemovesIt()
    {
        using var dir = new ConfigDir();
        string name = ConfigDir.UniqueNodeName();
        string path = dir.Write("node0.ini", ConfigDir.RunnableIni(name));
        using var stop = new CancellationTokenSource();
        var output = new ObservedWriter();

        Task<CliResult> run = CliRun.RunAsync(["node", "run", "--config", path], stop.Token, output);
        try
        {
            await output.WhenWritten("running").WaitAsync(Generous);

            // The node is really there, with the configured DC: an endpoint binds in dcid 3 (5 is the echo service's).
            using (Node node = Node.Attach(name))
            using (Endpoint endpoint = node.Bind(3, 7))
            {
                Assert.That(endpoint.DcId, Is.EqualTo(3));
            }
        }
        finally
        {
            await stop.CancelAsync();
        }

        CliResult r = await run.WaitAsync(Generous);
        Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString());
        Assert.That(r.Output, Does.Contain($"node {name} (id 0) of cluster test running"));
        Assert.That(r.Output, Does.Contain($"node {name} stopped"));
        Assert.Throws<DvsException>(() => Node.Attach(name).Dispose(), "the segment is removed on stop");
    }

    [Test]
    public void ANodeAlreadyHostedIsARuntimeFailure()
    {
        using var dir = new ConfigDir();
        string name = ConfigDir.UniqueNodeName();
        string path = dir.Write("node0.ini", ConfigDir.RunnableIni(name));
        using NodeHost first = NodeHost.Start(new NodeHostOptions { NodeName = name });

        CliResult r = CliRun.Run("node", "run", "--config", path);

        Assert.That(r.ExitCode, Is.EqualTo(1), r.ToString());
        Assert.That(r.Error, Does.Contain($"node {name} could not start").And.Contain("already hosted"));
    }

    [Test]
    public async Task AsItsOwnProcessSigtermStopsItCleanly()
    {
        using var dir = new ConfigDir();
        string name = ConfigDir.UniqueNodeName();
        string path = dir.Write("node0.ini", ConfigDir.RunnableIni(name));
        string dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet";
        var start = new ProcessStartInfo(dotnet)
        {
            ArgumentList = { Path.Combine(AppContext.BaseDirectory, "Dvs.Cli.dll"), "node", "run", "--config", path },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using Process host = Process.Start(start)!;
        try
        {
            // The first line comes once the host is up; null if it exits first.
            string? first = await host.StandardOutput.ReadLineAsync().WaitAsync(Generous);
            Assert.That(first, Does.Contain($"node {name} (id 0) of cluster test running"));

            using (Process kill = Process.Start("kill", ["-TERM", host.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            {
                kill.WaitForExit();
            }

            Assert.That(host.WaitForExit(Generous), Is.True, "the host stops on SIGTERM");
            Assert.That(host.ExitCode, Is.EqualTo(0), host.StandardError.ReadToEnd());
            Assert.That(host.StandardOutput.ReadToEnd(), Does.Contain($"node {name} stopped"));
            Assert.Throws<DvsException>(() => Node.Attach(name).Dispose(), "the segment is removed on stop");
        }
        finally
        {
            if (!host.HasExited)
            {
                host.Kill(entireProcessTree: true);
                host.WaitForExit();
            }
        }
    }
}
