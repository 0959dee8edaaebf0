using Dvs.Configuration;

using System.Runtime.Versioning;

namespace Dvs.Tests.Configuration;

[TestFixture]
[UnsupportedOSPlatform("windows")] // Unix file modes; Dvs runs on Linux
public class ClusterKeyFileTests
{
    [Test]
    public void AnEmptyKeyFileIsAnError()
    {
        using var dir = new ConfigDir();
        File.WriteAllText(dir.KeyFile, " \n\n");

        var e = Assert.Throws<ConfigException>(() => NodeConfig.Parse(ConfigDir.ValidIni, "node0.ini", dir.Path))!;

        Assert.That(e.Message, Is.EqualTo($"node0.ini:9: [cluster] key_file: {dir.KeyFile} is empty"));
    }

    [Test]
    public void AKeyShorterThanSixteenBytesIsAnError()
    {
        using var dir = new ConfigDir();
        File.WriteAllText(dir.KeyFile, "fifteen-bytes!!\n");

        var e = Assert.Throws<ConfigException>(() => NodeConfig.Parse(ConfigDir.ValidIni, "node0.ini", dir.Path))!;

        Assert.That(e.Message, Does.StartWith($"node0.ini:9: [cluster] key_file: {dir.KeyFile} holds only 15 bytes; a cluster key needs at least 16"));
    }

    [Test]
    public void AKeyFileThatNeverEndsIsAnError()
    {
        // Read whole, /dev/zero ran the reader out of memory: only the first bytes are read.
        using var dir = new ConfigDir();
        string text = ConfigDir.ValidIni.Replace("key_file = cluster.key", "key_file = /dev/zero");

        var e = Assert.Throws<ConfigException>(() => NodeConfig.Parse(text, "node0.ini", dir.Path))!;

        Assert.That(e.Message, Does.StartWith("node0.ini:9: [cluster] key_file: /dev/zero "), "a config error naming the file, line and key");
    }

    [Test]
    public void AKeyFileThatIsAFolderIsAnError()
    {
        using var dir = new ConfigDir();
        Directory.CreateDirectory(Path.Combine(dir.Path, "keys"));
        string text = ConfigDir.ValidIni.Replace("key_file = cluster.key", "key_file = keys");

        var e = Assert.Throws<ConfigException>(() => NodeConfig.Parse(text, "node0.ini", dir.Path))!;

        Assert.That(e.Errors.Single().Message, Does.EndWith("is a directory, not a key file"));
        Assert.That(e.Errors.Single().Line, Is.EqualTo(9));
    }

    [Test]
    public void AWorldReadableKeyFileLoadsWithAWarning()
    {
        using var dir = new ConfigDir();
        File.SetUnixFileMode(dir.KeyFile, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherRead);

        NodeConfig config = NodeConfig.Parse(ConfigDir.ValidIni, "node0.ini", dir.Path);

        ConfigDiagnostic warning = config.Warnings.Single();
        Assert.That((warning.Line, warning.Section, warning.Key), Is.EqualTo((9, "cluster", "key_file")));
        Assert.That(warning.Message, Does.Contain("readable by every user (mode 0604)"));
    }

    [Test]
    public void AnOwnerOnlyKeyFileGivesNoWarning()
    {
        using var dir = new ConfigDir();

        NodeConfig config = NodeConfig.Parse(ConfigDir.ValidIni, "node0.ini", dir.Path);

        Assert.That(config.Warnings, Is.Empty);
    }

    [Test]
    public void TheKeyIsTheTextWithoutSurroundingWhiteSpace()
    {
        Assert.That(ClusterKey.FromText("  s3cret \r\n").ToArray(), Is.EqualTo("s3cret"u8.ToArray()));
    }

    [Test]
    public void AGeneratedKeyIs32RandomBytesAsHex()
    {
        string a = ClusterKey.Generate();
        string b = ClusterKey.Generate();

        Assert.That(a, Does.Match("^[0-9a-f]{64}$"));
        Assert.That(a, Is.Not.EqualTo(b));
    }

    [Test]
    public void AWrittenKeyFileIsCreatedOwnerOnly()
    {
        using var dir = new ConfigDir();
        string path = Path.Combine(dir.Path, "new.key");

        ClusterKey.WriteFile(path, "abc", overwrite: false);

        Assert.That(File.GetUnixFileMode(path), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite));
        Assert.That(File.ReadAllText(path), Is.EqualTo("abc\n"));
        Assert.Throws<IOException>(() => ClusterKey.WriteFile(path, "def", overwrite: false));
    }
}
