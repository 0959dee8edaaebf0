using System.Security.Cryptography;
using System.Text;

namespace Dvs.Configuration;

/// <summary>
/// The cluster key: what a key file holds and how one is made. A key file is text; the key is that
/// text with surrounding white space removed, as UTF-8 bytes, so any secret a person can type works,
/// and an editor that adds or drops the final newline does not change it. Thread-safe.
/// </summary>
public static class ClusterKey
{
    /// <summary>Shortest key accepted: the node proxy refuses shorter ones, which are guessable.</summary>
    public const int MinBytes = 16;

    /// <summary>Largest key file read (a generated one has 65 bytes): a device such as /dev/zero is not read without end.</summary>
    public const int MaxFileBytes = 4096;

    /// <summary>Random bytes in a generated key (written as twice as many hex digits).</summary>
    public const int GeneratedBytes = 32;

    private static readonly Lazy<string> ProcessKey = new(Generate);

    /// <summary>A new random key as lowercase hex text (256 bits from the OS generator).</summary>
    public static string Generate() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(GeneratedBytes));

    /// <summary>One key generated on first use and kept for the life of the process: what
    /// <see cref="NodeConfig.EmbeddedDefault"/> uses when given no key, so every node hosted in one
    /// process agrees. Processes that must talk to each other pass one key explicitly.</summary>
    public static string ProcessDefault => ProcessKey.Value;

    /// <summary>The key a key file with this text gives (empty when the text is only white space).</summary>
    public static ReadOnlyMemory<byte> FromText(string text) => Encoding.UTF8.GetBytes(text.Trim());

    /// <summary>
    /// Writes a key file readable and writable by its owner only (0600 on Unix), created with that
    /// mode so the key is never briefly readable by others. Replaces an existing file only when
    /// <paramref name="overwrite"/> is set. Blocking file I/O.
    /// </summary>
    /// <exception cref="IOException">The file exists and <paramref name="overwrite"/> is false, or I/O failed.</exception>
    public static void WriteFile(string path, string keyText, bool overwrite)
    {
        if (overwrite && File.Exists(path))
        {
            File.Delete(path); // the create mode below applies only to a new file
        }

        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using var writer = new StreamWriter(path, Encoding.ASCII, options);
        writer.Write(keyText);
        writer.Write('\n');
    }
}
