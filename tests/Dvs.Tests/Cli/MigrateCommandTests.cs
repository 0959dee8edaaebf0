using Dvs.Hosting;

namespace Dvs.Tests.Cli;

/// <summary>dvs migrate's usage and failures; migrations that succeed are in Migration/ServerMigrationTests.</summary>
[TestFixture]
public class MigrateCommandTests
{
    [TestCase("--endpoint", "10", "--commit", "--to", "1")]
    [TestCase("--endpoint", "10", "--start", "--rollback", "--to", "1")]
    [TestCase("--endpoint", "10")]
    [TestCase("--to", "1")]
    [TestCase("--endpoint", "10", "--to", "1", "--timeout-s", "0")]
    public void BadUsageExitsWithTwo(params string[] args)
    {
        CliResult r = CliRun.Run(["migrate", "--node", "nowhere", .. args]);
        Assert.That(r.ExitCode, Is.EqualTo(2), r.ToString());
        Assert.That(r.Error, Does.StartWith("dvs: "));
    }

    [Test]
    public void ANodeWithoutARunningHostIsAFailure()
    {
        string name = "nohost-" + Guid.NewGuid().ToString("N")[..8];
        CliResult r = CliRun.Run("migrate", "--node", name, "--endpoint", "10", "--to", "1");
        Assert.That(r.ExitCode, Is.EqualTo(1), r.ToString());
        Assert.That(r.Error, Does.Contain($"no control socket of node '{name}'"));
    }

    [Test]
    public void AFailedMigrationSaysWhichPhaseFailedAndWhy()
    {
        using var host = new HostWithControl();
        CliResult r = CliRun.Run("migrate", "--node", host.Name, "--socket", host.Socket, "--endpoint", "10", "--to", "1");
        Assert.That(r.ExitCode, Is.EqualTo(1), r.ToString());
        Assert.That(r.Error, Does.Contain("node 0 -> node 1 failed in phase start (start FAILED): NoProxy (-308)").And.Contain("nothing was changed"));
        Assert.That(r.Output, Is.Empty);
    }

    [Test]
    public void ACommitWithoutAStartedMigrationFails()
    {
        using var host = new HostWithControl();
        CliResult r = CliRun.Run("migrate", "--node", host.Name, "--socket", host.Socket, "--endpoint", "10", "--commit");
        Assert.That(r.ExitCode, Is.EqualTo(1), r.ToString());
        Assert.That(r.Error, Does.Contain("failed in phase commit (commit FAILED)"));
    }

    [Test]
    public void ATargetNameTheNodeDoesNotKnowIsAUsageError()
    {
        using var host = new HostWithControl();
        CliResult r = CliRun.Run("migrate", "--node", host.Name, "--socket", host.Socket, "--endpoint", "10", "--to", "mars");
        Assert.That(r.ExitCode, Is.EqualTo(2), r.ToString());
        Assert.That(r.Error, Does.Contain("--to mars: node").And.Contain("has no peer of that name"));
    }

    /// <summary>A node host without peers, its control socket in a folder of the test.</summary>
    private sealed class HostWithControl : IDisposable
    {
        private readonly string _dir = Directory.CreateTempSubdirectory("dvs-migrate-cli-").FullName;
        private readonly NodeHost _host;

        public HostWithControl()
        {
            Name = "mig-" + Guid.NewGuid().ToString("N")[..8];
            Socket = Path.Combine(_dir, Name + ".sock");
            _host = NodeHost.Start(new NodeHostOptions { NodeName = Name, ControlSocket = Socket });
        }

        public string Name { get; }

        public string Socket { get; }

        public void Dispose()
        {
            _host.Dispose();
            Directory.Delete(_dir, recursive: true);
        }
    }
}
