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
    public void VersionPrintsThePackagesVersion()
    {
        // One version for every package (Directory.Build.props); the informational version is it alone.
        string expected = typeof(Dvs.Cli.DvsCommandLine).Assembly
            .GetCustomAttributes(typeof(System.Reflection.AssemblyInformationalVersionAttribute), false)
            .Cast<System.Reflection.AssemblyInformationalVersionAttribute>().Single().InformationalVersion;

        CliResult r = CliRun.Run("--version");

        Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString());
        Assert.That(r.Output.Trim(), Is.EqualTo(expected));
        Assert.That(expected, Does.Match(@"^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$"));
        Assert.That(typeof(Endpoint).Assembly.GetName().Version!.ToString(3), Is.EqualTo(expected.Split('-')[0]), "the library has the same version");
    }

    [Test]
    public void ABadDemoOptionIsAUsageError()
    {
        CliResult r = CliRun.Run("demo", "--wait", "sometimes");

        Assert.That(r.ExitCode, Is.EqualTo(2), r.ToString());
        Assert.That(r.Error, Does.Contain("sometimes"));
    }
}
