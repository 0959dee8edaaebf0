using System.Runtime.Versioning;
using Dvs.Hosting;

namespace Dvs.Tests.Hosting;

[TestFixture]
[UnsupportedOSPlatform("windows")] // Unix file modes; Dvs runs on Linux
[NonParallelizable]   // sets an environment variable of the process
public class ControlSocketPathTests
{
    [Test]
    public void AnExplicitFolderIsCreatedOwnerOnlyAndFindFindsOnlyWhatExists()
    {
        string dir = Path.Combine(Path.GetTempPath(), "dvs-ctlpath-" + Guid.NewGuid().ToString("N")[..8]);
        string? before = Environment.GetEnvironmentVariable(ControlSocketPath.DirectoryVariable);
        Environment.SetEnvironmentVariable(ControlSocketPath.DirectoryVariable, dir);
        try
        {
            Assert.That(ControlSocketPath.Candidates(), Is.EqualTo(new[] { dir }));
            Assert.That(ControlSocketPath.Find("n7"), Is.Null);

            string path = ControlSocketPath.ForHost("n7");

            Assert.That(path, Is.EqualTo(Path.Combine(dir, "n7.sock")));
            Assert.That(File.GetUnixFileMode(dir), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute));
            Assert.That(ControlSocketPath.Find("n7"), Is.Null, "no host listens yet");
            using (NodeHost host = NodeHost.Start(new NodeHostOptions { NodeName = "ctlpath-" + Guid.NewGuid().ToString("N")[..8], ControlSocket = path }))
            {
                Assert.That(ControlSocketPath.Find("n7"), Is.EqualTo(path));
            }
            Assert.That(ControlSocketPath.Find("n7"), Is.Null);
        }
        finally
        {
            Environment.SetEnvironmentVariable(ControlSocketPath.DirectoryVariable, before);
            Directory.Delete(dir, recursive: true);
        }
    }

    [Test]
    public void AFolderOpenToOthersIsClosedToOwnerOnly()
    {
        string dir = Directory.CreateTempSubdirectory("dvs-ctlpath-").FullName;
        File.SetUnixFileMode(dir, (UnixFileMode)0b111_111_111);
        string? before = Environment.GetEnvironmentVariable(ControlSocketPath.DirectoryVariable);
        Environment.SetEnvironmentVariable(ControlSocketPath.DirectoryVariable, dir);
        try
        {
            ControlSocketPath.ForHost("n1");
            Assert.That(File.GetUnixFileMode(dir), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute));
        }
        finally
        {
            Environment.SetEnvironmentVariable(ControlSocketPath.DirectoryVariable, before);
            Directory.Delete(dir, recursive: true);
        }
    }

    [Test]
    public void AFolderOpenToOthersThatHoldsOtherFilesIsRefusedAndLeftAsItWas()
    {
        // Issue 11.22: a DVS_CONTROL_DIR such as a shared project folder was silently made 0700.
        string dir = Directory.CreateTempSubdirectory("dvs-ctlpath-").FullName;
        File.WriteAllText(Path.Combine(dir, "notes.txt"), "someone else's");
        var shared = (UnixFileMode)0b111_101_101;
        File.SetUnixFileMode(dir, shared);
        string? before = Environment.GetEnvironmentVariable(ControlSocketPath.DirectoryVariable);
        Environment.SetEnvironmentVariable(ControlSocketPath.DirectoryVariable, dir);
        try
        {
            var e = Assert.Throws<DvsException>(() => ControlSocketPath.ForHost("n1"))!;

            Assert.That(e.Message, Does.Contain(dir).And.Contain("other files"));
            Assert.That(File.GetUnixFileMode(dir), Is.EqualTo(shared));
        }
        finally
        {
            Environment.SetEnvironmentVariable(ControlSocketPath.DirectoryVariable, before);
            Directory.Delete(dir, recursive: true);
        }
    }
}
