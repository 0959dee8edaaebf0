namespace Dvs.Tests.Cli;

[TestFixture]
public class RootCommandTests
{
    [Test]
    public void NoCommandIsAUsageError()
    {
        CliResult r = CliRun.Run();

        Assert.That(r.ExitCode, Is.EqualTo(2), r.ToString());
        Assert.That(r.Error, Does.Contain("Required command was not provided"));
        Assert.That(r.Error, Does.Contain("dvs --help"));
    }

    [Test]
    public void AnUnknownCommandIsAUsageError()
    {
        CliResult r = CliRun.Run("frobnicate");

        Assert.That(r.ExitCode, Is.EqualTo(2), r.ToString());
        Assert.That(r.Error, Does.Contain("frobnicate"));
    }

    [Test]
    public void HelpListsTheCommandsAndSucceeds()
    {
        CliResult r = CliRun.Run("--help");

        Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString());
        Assert.That(r.Output, Does.Contain("demo").And.Contain("node").And.Contain("config").And.Contain("--verbose"));
        Assert.That(r.Output, Does.Contain("Usage:\n  dvs [command] [options]").Or.Contain("Usage:\r\n  dvs [command] [options]"));
    }

    [Test]
    public void HelpSaysWhatIsLoggedByDefault()
    {
        // node run logs at Information; the help said only warnings and errors were logged.
        CliResult r = CliRun.Run("--help");

        Assert.That(r.Output, Does.Contain("node run logs at information"));
    }

    [Test]
    public void ABadDemoOptionIsAUsageError()
    {
        CliResult r = CliRun.Run("demo", "--wait", "sometimes");

        Assert.That(r.ExitCode, Is.EqualTo(2), r.ToString());
        Assert.That(r.Error, Does.Contain("sometimes"));
    }
}
