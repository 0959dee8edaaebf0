namespace Dvs.Tests.Cli;

/// <summary>dvs status / dvs top: usage and a node without a host; a running cluster is in Cluster/StatusCommandClusterTests.</summary>
[TestFixture]
public class StatusCommandTests
{
    [TestCase("status")]
    [TestCase("status", "--node", "n0", "--timeout-s", "0")]
    [TestCase("top")]
    [TestCase("top", "--node", "n0", "--count", "0")]
    [TestCase("top", "--node", "n0", "--interval-ms", "10")]
    public void BadUsageExitsWithTwo(params string[] args)
    {
        CliResult r = CliRun.Run(args);
        Assert.That(r.ExitCode, Is.EqualTo(2), r.ToString());
        Assert.That(r.Error, Does.StartWith("dvs: "));
    }

    [TestCase("status")]
    [TestCase("status", "--json")]
    [TestCase("top", "--count", "1")]
    public void ANodeWithoutARunningHostIsAFailureWithAClearMessage(params string[] args)
    {
        string name = "nohost-" + Guid.NewGuid().ToString("N")[..8];
        CliResult r = CliRun.Run([.. args, "--node", name]);
        Assert.That(r.ExitCode, Is.EqualTo(1), r.ToString());
        Assert.That(r.Error, Does.StartWith($"dvs {args[0]}: {name}: no control socket of node '{name}'").And.Contain("is its 'dvs node run' running?"));
        Assert.That(r.Output, Is.Empty);
    }
}
