using System.Runtime.Versioning;
using Dvs.Tests.Configuration;

namespace Dvs.Tests.Cli;

[TestFixture]
[UnsupportedOSPlatform("windows")] // Unix file modes; Dvs runs on Linux
public class ConfigCheckCommandTests
{
    [Test]
    public void AValidFilePrintsItsSummaryAndExitsWithZero()
    {
        using var dir = new ConfigDir();
        string path = dir.Write("node0.ini", ConfigDir.ValidIni);

        CliResult r = CliRun.Run("config", "check", path);

        Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString());
        Assert.That(r.Output, Does.Contain("valid"));
        Assert.That(r.Output, Does.Contain("alpha (id 0), udp 127.0.0.1:7100"));
        Assert.That(r.Output, Does.Contain("beta").And.Contain("7101"));
        Assert.That(r.Output, Does.Contain("web").And.Contain("alpha, beta"));
        Assert.That(r.Output, Does.Contain("echo").And.Contain("--fast"));
        Assert.That(r.Error, Is.Empty);
    }

    [Test]
    public void AnInvalidFilePrintsEachErrorWithFileLineAndKeyAndExitsWithTwo()
    {
        using var dir = new ConfigDir();
        string path = dir.Write("node0.ini", ConfigDir.ValidIni.Replace("nr_tasks = 20", "nr_tasks = 40").Replace("port = 7100", "port = 7100\nmtu = 70000"));

        CliResult r = CliRun.Run("config", "check", path);

        Assert.That(r.ExitCode, Is.EqualTo(2), r.ToString());
        Assert.That(r.Error, Does.Contain($"{path}:6: [node] mtu: 70000 is out of range ({Dvs.Configuration.LocalNodeConfig.MinMtu}..65507)"));
        Assert.That(r.Error, Does.Contain($"{path}:21: [dc.web] nr_tasks: 40 is out of range (0..35)"));
        Assert.That(r.Error, Does.Contain("2 errors"));
        Assert.That(r.Output, Is.Empty);
    }

    [Test]
    public void AMissingFileExitsWithTwo()
    {
        using var dir = new ConfigDir();
        string path = Path.Combine(dir.Path, "none.ini");

        CliResult r = CliRun.Run("config", "check", path);

        Assert.That(r.ExitCode, Is.EqualTo(2), r.ToString());
        Assert.That(r.Error, Does.Contain($"{path}: cannot read the configuration: no such file"));
    }

    [Test]
    public void AWorldReadableKeyIsAWarningOnOneLineNotAnError()
    {
        using var dir = new ConfigDir();
        File.SetUnixFileMode(dir.KeyFile, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherRead);
        string path = dir.Write("node0.ini", ConfigDir.ValidIni);

        CliResult r = CliRun.Run("config", "check", path);

        Assert.That(r.ExitCode, Is.EqualTo(0), r.ToString());
        Assert.That(r.Output, Does.Contain($"warning: {path}:9: [cluster] key_file: {dir.KeyFile} is readable by every user"));
    }

    [Test]
    public void WithoutAFileItIsAUsageError()
    {
        CliResult r = CliRun.Run("config", "check");

        Assert.That(r.ExitCode, Is.EqualTo(2), r.ToString());
    }
}
