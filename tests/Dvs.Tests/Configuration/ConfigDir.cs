namespace Dvs.Tests.Configuration;

/// <summary>
/// A temporary folder holding a cluster key file (mode 0600) and the ini files a test writes;
/// deleted on dispose. <see cref="ValidIni"/> is a complete file whose line numbers the error
/// tests rely on.
/// </summary>
internal sealed class ConfigDir : IDisposable
{
    public const string KeyText = "0123456789abcdef0123456789abcdef";

    /// <summary>A valid node ini file. Line numbers matter: tests name them.</summary>
    public const string ValidIni =
        """
        [node]
        id = 0
        name = alpha
        address = 127.0.0.1
        port = 7100

        [cluster]
        name = test
        key_file = cluster.key

        [peer.beta]
        id = 1
        address = 127.0.0.1
        port = 7101

        [dc.web]
        dcid = 3
        nodes = alpha, 1
        nr_procs = 100
        nr_tasks = 20
        nr_sysprocs = 30

        [service.echo]
        dc = web
        endpoint = 5
        kind = echo
        args = --fast

        """;

    private static int s_counter;

    public ConfigDir()
    {
        Path = Directory.CreateTempSubdirectory("dvs-config-test-").FullName;
        KeyFile = System.IO.Path.Combine(Path, "cluster.key");
        File.WriteAllText(KeyFile, KeyText + "\n");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(KeyFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
    }

    public string Path { get; }

    public string KeyFile { get; }

    /// <summary>A node name no other test or host on the machine uses (the node segment is named after it).</summary>
    public static string UniqueNodeName() =>
        $"cfgtest-{Environment.ProcessId}-{Interlocked.Increment(ref s_counter)}";

    /// <summary>Writes <paramref name="text"/> as <paramref name="name"/> in the folder; returns its path.</summary>
    public string Write(string name, string text)
    {
        string file = System.IO.Path.Combine(Path, name);
        File.WriteAllText(file, text);
        return file;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // best effort: a temp folder left behind must not fail the test
        }
    }
}
