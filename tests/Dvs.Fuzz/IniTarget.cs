using System.Text;
using Dvs.Configuration;

namespace Dvs.Fuzz;

/// <summary>
/// Target "ini": the input is the text of a node ini file (UTF-8), read by
/// <see cref="NodeConfigReader"/>. A bad file must end in a <see cref="ConfigException"/> (which
/// names file, key and line), never in another exception or a hang.
/// </summary>
internal static class IniTarget
{
    // The folder relative key file paths resolve in, with a valid key file (cluster.key).
    private static readonly Lazy<string> BaseDirectory = new(() =>
    {
        string dir = Path.Combine(Path.GetTempPath(), $"dvs-fuzz-ini-{Environment.ProcessId}");
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, LocalCluster.KeyFileName), ClusterKey.Generate());
        return dir;
    });

    public static void Run(ReadOnlySpan<byte> input)
    {
        string text = Encoding.UTF8.GetString(input);
        try
        {
            NodeConfigReader.Read(text, "fuzz.ini", BaseDirectory.Value);
        }
        catch (ConfigException)
        {
            // the expected outcome of a bad file
        }
    }

    public static void Stop()
    {
        if (BaseDirectory.IsValueCreated)
        {
            Directory.Delete(BaseDirectory.Value, recursive: true);
        }
    }
}
