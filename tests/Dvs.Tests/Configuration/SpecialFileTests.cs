using System.Diagnostics;
using System.Runtime.Versioning;
using Dvs.Configuration;

namespace Dvs.Tests.Configuration;

/// <summary>
/// A configuration or key file that is not a regular file, or is too large, is refused at once with
/// its file and line (issue 11.17: a FIFO hung config check and node run, key_file = /dev/zero read
/// until memory ran out).
/// </summary>
[TestFixture]
[UnsupportedOSPlatform("windows")]
public class SpecialFileTests
{
    // Generous: the refusal is immediate; a read that waits on the FIFO never ends.
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);

    [Test]
    public void AFifoAsKeyFileIsRefused()
    {
        using var dir = new ConfigDir();
        string fifo = MakeFifo(dir, "key.fifo");
        string text = ConfigDir.ValidIni.Replace("key_file = cluster.key", "key_file = key.fifo");

        ConfigException e = Refused(fifo, () => NodeConfig.Parse(text, "node0.ini", dir.Path));

        Assert.That(e.Errors.Single().Line, Is.EqualTo(9));
        Assert.That(e.Message, Does.StartWith($"node0.ini:9: [cluster] key_file: {fifo} cannot be read: not a regular file (a FIFO)"));
    }

    [Test]
    public void ADeviceAsKeyFileIsRefused()
    {
        using var dir = new ConfigDir();
        string text = ConfigDir.ValidIni.Replace("key_file = cluster.key", "key_file = /dev/zero");

        ConfigException e = Refused(null, () => NodeConfig.Parse(text, "node0.ini", dir.Path));

        Assert.That(e.Message, Does.StartWith("node0.ini:9: [cluster] key_file: /dev/zero cannot be read: not a regular file (a device)"));
    }

    [Test]
    public void AKeyFileLargerThanAnyKeyIsRefused()
    {
        using var dir = new ConfigDir();
        File.WriteAllText(dir.KeyFile, new string('k', 1 << 20));

        var e = Assert.Throws<ConfigException>(() => NodeConfig.Parse(ConfigDir.ValidIni, "node0.ini", dir.Path))!;

        Assert.That(e.Message, Does.StartWith($"node0.ini:9: [cluster] key_file: {dir.KeyFile} cannot be read: too large"));
    }

    [Test]
    public void AFifoAsConfigurationFileIsRefused()
    {
        using var dir = new ConfigDir();
        string fifo = MakeFifo(dir, "node0.ini");

        ConfigException e = Refused(fifo, () => NodeConfig.Load(fifo));

        Assert.That(e.Message, Is.EqualTo($"{fifo}: cannot read the configuration: not a regular file (a FIFO)"));
    }

    [Test]
    public void AConfigCheckOfAFifoExitsWithTwo()
    {
        using var dir = new ConfigDir();
        string fifo = MakeFifo(dir, "node0.ini");

        Task<Dvs.Tests.Cli.CliResult> run = Task.Run(() => Dvs.Tests.Cli.CliRun.Run("config", "check", fifo));
        bool done = run.Wait(Bound);
        Release(fifo, done);

        Assert.That(done, Is.True, "config check waited on the FIFO");
        Assert.That(run.Result.ExitCode, Is.EqualTo(2), run.Result.ToString());
        Assert.That(run.Result.Error, Does.Contain("not a regular file"));
    }

    // Runs the read with a bound; a read stuck on the FIFO is released by opening its other end.
    private static ConfigException Refused(string? fifo, Action read)
    {
        Task<Exception?> task = Task.Run(() =>
        {
            try
            {
                read();
                return null;
            }
            catch (Exception e)
            {
                return e;
            }
        });
        bool done = task.Wait(Bound);
        if (fifo is not null)
        {
            Release(fifo, done);
        }
        Assert.That(done, Is.True, "the read waited on the FIFO (or read /dev/zero) instead of refusing it");
        Assert.That(task.Result, Is.TypeOf<ConfigException>(), task.Result?.ToString());
        return (ConfigException)task.Result!;
    }

    private static void Release(string fifo, bool done)
    {
        if (!done)
        {
            // A reader blocked in open(): a writer that opens and closes gives it end of file.
            using var writer = new FileStream(fifo, FileMode.Open, FileAccess.Write);
        }
    }

    private static string MakeFifo(ConfigDir dir, string name)
    {
        string path = Path.Combine(dir.Path, name);
        using var mkfifo = Process.Start(new ProcessStartInfo("mkfifo", [path]) { UseShellExecute = false })!;
        Assert.That(mkfifo.WaitForExit(10_000) && mkfifo.ExitCode == 0, Is.True, "mkfifo failed");
        return path;
    }
}
