using System.Globalization;

namespace Dvs.Ipc;

/// <summary>
/// The incarnation of a node host: non-zero and larger at every start of a host for that node
/// name, so peers take a restarted node for a new one and drop what is left of the old. The last
/// one is kept in a small file beside the segment (/dev/shm/dvs-&lt;node&gt;.incarnation, mode 0600),
/// which outlives the host (the segment is removed when it stops) but not a reboot; the next is
/// the larger of that + 1 and the wall clock in ns, so a clock set back cannot make it smaller
/// (issue 11.12), and a lost file falls back to the clock that incarnations followed before.
/// Not thread-safe: one host starts a node at a time (the segment is created exclusively).
/// </summary>
internal static class NodeIncarnation
{
    private const string Directory = "/dev/shm";

    public static ulong WallClockNanoseconds() => (ulong)(DateTime.UtcNow - DateTime.UnixEpoch).Ticks * 100;

    /// <summary>Path of the file holding the last incarnation of <paramref name="nodeName"/> (a
    /// validated node name).</summary>
    public static string PathOf(string nodeName) => Path.Combine(Directory, $"dvs-{nodeName}.incarnation");

    /// <summary>Takes the next incarnation of <paramref name="nodeName"/> and records it.</summary>
    /// <exception cref="DvsException">The record cannot be written.</exception>
    public static ulong Next(string nodeName, ulong wallClock)
    {
        string path = PathOf(nodeName);
        ulong last = 0;
        try
        {
            ulong.TryParse(File.ReadAllText(path).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out last);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DvsException(DvsError.Generic, $"read {path}: {e.Message}");
        }
        ulong next = Math.Max(last + 1, Math.Max(wallClock, 1));
        try
        {
            PrivateFile.ReplaceWith(path, next.ToString(CultureInfo.InvariantCulture));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DvsException(DvsError.Generic, $"record the incarnation of node '{nodeName}' in {path}: {e.Message}");
        }
        return next;
    }
}
