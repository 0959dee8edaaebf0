namespace Dvs.Tests.Cli;

/// <summary>
/// Bad numbers, node names and commands on the command line: a usage error (exit 2) that names the
/// option and what was given, never an exception (issue 11.18).
/// </summary>
[TestFixture]
public class BadArgumentTests
{
    [TestCase("--timeout-s", "abc", "status", "--node", "n0")]
    [TestCase("--timeout-s", "abc", "top", "--node", "n0")]
    [TestCase("--count", "abc", "top", "--node", "n0")]
    [TestCase("--interval-ms", "abc", "top", "--node", "n0")]
    [TestCase("--timeout-s", "abc", "migrate", "--node", "n0", "--endpoint", "10", "--to", "1")]
    [TestCase("--seconds", "abc", "demo")]
    [TestCase("--count", "-5", "ping", "--node", "n0", "--to", "10")]
    [TestCase("--timeout-ms", "-5", "ping", "--node", "n0", "--to", "10")]
    [TestCase("--count", "abc", "ping", "--node", "n0", "--to", "10")]
    [TestCase("--dc", "-1", "migrate", "--node", "n0", "--endpoint", "10", "--to", "1")]
    [TestCase("--dc", "32", "ping", "--node", "n0", "--to", "10")]
    [TestCase("--dc", "x", "echo", "--node", "n0")]
    [TestCase("--endpoint", "99999", "echo", "--node", "n0")]
    public void ABadNumberIsAUsageErrorNamingTheOption(string option, string value, params string[] command)
    {
        CliResult r = CliRun.Run([.. command, option, value]);

        Assert.That(r.ExitCode, Is.EqualTo(2), r.ToString());
        Assert.That(r.Error, Does.Contain(option).And.Contain($"'{value}'"), r.ToString());
        Assert.That(r.Error, Does.Not.Contain("   at "), r.ToString());
    }

    [TestCase("status")]
    [TestCase("top")]
    [TestCase("migrate", "--endpoint", "10", "--to", "1")]
    [TestCase("echo")]
    [TestCase("ping", "--to", "10")]
    public void ANodeNameThatIsNotANameIsAUsageError(params string[] command)
    {
        CliResult r = CliRun.Run([.. command, "--node", "../x"]);

        Assert.That(r.ExitCode, Is.EqualTo(2), r.ToString());
        Assert.That(r.Error, Does.Contain("--node").And.Contain("'../x'"), r.ToString());
    }

    [Test]
    public void AnUnknownCommandIsNamedFirst()
    {
        CliResult r = CliRun.Run("bogus");

        Assert.That(r.ExitCode, Is.EqualTo(2), r.ToString());
        Assert.That(r.Error, Does.StartWith("dvs: ").And.Contain("'bogus'"), r.ToString());
        Assert.That(r.Error.Split('\n')[0], Does.Contain("'bogus'"), r.ToString());
    }
}
