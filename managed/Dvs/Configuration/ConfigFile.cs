using System.Text;
using Dvs.Interop;

namespace Dvs.Configuration;

/// <summary>
/// Reads the small files a node's configuration names (the ini file, the key file) so that a wrong
/// path cannot hang or exhaust the process: only a regular file of bounded size is read (a FIFO
/// waited for a writer, /dev/zero read until memory ran out). Thread-safe; blocking file I/O.
/// </summary>
internal static unsafe class ConfigFile
{
    /// <summary>Largest node ini file read; real ones are a few KiB.</summary>
    public const int MaxIniBytes = 1 << 20;

    /// <summary>Largest key file read; a generated key is 65 bytes.</summary>
    public const int MaxKeyBytes = 4096;

    /// <summary>The file's text (UTF-8).</summary>
    /// <exception cref="IOException">Missing, unreadable, not a regular file, or over <paramref name="maxBytes"/>; the message says which.</exception>
    public static string ReadText(string path, int maxBytes)
    {
        byte[] buffer = new byte[maxBytes];
        fixed (byte* p = buffer)
        {
            if (Shim.ReadRegularFile(path, p, (ulong)buffer.Length, out ulong length) != 0)
            {
                string why = Shim.LastErrorMessage();
                if (!File.Exists(path) && !Directory.Exists(path))
                {
                    throw new FileNotFoundException("no such file", path);
                }
                throw Shim.ErrCode() == (int)DvsError.BadValue
                    ? new IOException($"too large ({why}; at most {maxBytes} bytes)")
                    : new IOException(why);
            }
            // As File.ReadAllText: a UTF-8 byte order mark is not part of the text.
            int start = buffer.AsSpan(0, (int)length).StartsWith(Encoding.UTF8.Preamble) ? Encoding.UTF8.Preamble.Length : 0;
            return Encoding.UTF8.GetString(buffer, start, (int)length - start);
        }
    }
}
