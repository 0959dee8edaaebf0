using System.Globalization;
using System.Text;

namespace Dvs.Hosting;

/// <summary>
/// The newest epoch this node bound, reserved, confirmed or handed each endpoint over at, and which
/// node owned it then, kept across a crash of its host (rule 5 of the migration model,
/// docs/protocol.md): a source persists epoch + 1 (itself) when its OFFER leaves, epoch + 1 (the
/// target) at the handover and epoch + 2 (itself) before it serves again after a rollback; a target
/// epoch + 1 (the source) when it confirms, and (itself) when it serves. A restarted host reads it to tell a migration copy a peer still holds (current only
/// if this node used no newer epoch since) from one it superseded, and never serves an endpoint
/// below an epoch it used. One small file beside the segment (/dev/shm/dvs-&lt;node&gt;.epochs, mode
/// 0600), written whole and renamed; it outlives a killed host, not a reboot, and a clean stop
/// removes it (the services stopped with their state). Thread-safe; written only at migration
/// steps and service starts, never per message.
/// </summary>
internal sealed class EpochRecord
{
    private const string Directory = "/dev/shm";
    private readonly string _path;
    private readonly Dictionary<(int DcId, int Endpoint), (uint Epoch, int Owner)> _epochs = new();
    private readonly Lock _lock = new();

    private EpochRecord(string path) => _path = path;

    /// <summary>Path of the record of <paramref name="nodeName"/> (a validated node name).</summary>
    public static string PathOf(string nodeName) => Path.Combine(Directory, $"dvs-{nodeName}.epochs");

    /// <summary>Reads what the previous host of <paramref name="nodeName"/> recorded (nothing when there is no record, or a line is not one).</summary>
    public static EpochRecord Load(string nodeName)
    {
        var record = new EpochRecord(PathOf(nodeName));
        string[] lines;
        try
        {
            lines = File.ReadAllLines(record._path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return record;   // none yet (or unreadable: the peers' OWNER-STATUS still tells)
        }
        foreach (string line in lines)
        {
            string[] words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (words.Length == 4 &&
                int.TryParse(words[0], NumberStyles.None, CultureInfo.InvariantCulture, out int dc) &&
                int.TryParse(words[1], NumberStyles.None, CultureInfo.InvariantCulture, out int endpoint) &&
                uint.TryParse(words[2], NumberStyles.None, CultureInfo.InvariantCulture, out uint epoch) &&
                int.TryParse(words[3], NumberStyles.None, CultureInfo.InvariantCulture, out int owner))
            {
                record._epochs[(dc, endpoint)] = (epoch, owner);
            }
        }
        return record;
    }

    /// <summary>The newest epoch recorded for the endpoint, and the node that owned it then.</summary>
    public bool TryGet(int dcid, int endpoint, out uint epoch, out int owner)
    {
        lock (_lock)
        {
            bool known = _epochs.TryGetValue((dcid, endpoint), out var entry);
            (epoch, owner) = entry;
            return known;
        }
    }

    /// <summary>
    /// Records that <paramref name="owner"/> has the endpoint at <paramref name="epoch"/>, unless a
    /// newer epoch is recorded (the same epoch may change hands: a handover); persisted before it returns.
    /// </summary>
    public void Raise(int dcid, int endpoint, uint epoch, int owner)
    {
        lock (_lock)
        {
            if (_epochs.TryGetValue((dcid, endpoint), out var known) && (known.Epoch > epoch || known == (epoch, owner)))
            {
                return;
            }
            _epochs[(dcid, endpoint)] = (epoch, owner);
            Write();
        }
    }

    /// <summary>A clean stop: nothing of this host's services outlives it.</summary>
    public void Delete()
    {
        lock (_lock)
        {
            _epochs.Clear();
            try
            {
                File.Delete(_path);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Left behind: the next host of this node starts its services one epoch newer.
            }
        }
    }

    private void Write()
    {
        var text = new StringBuilder();
        foreach (((int dc, int endpoint), (uint epoch, int owner)) in _epochs)
        {
            text.Append(CultureInfo.InvariantCulture, $"{dc} {endpoint} {epoch} {owner}\n");
        }
        string temporary = _path + ".tmp";
        try
        {
            var options = new FileStreamOptions
            {
                Mode = FileMode.Create, Access = FileAccess.Write,
                UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
            };
            using (var file = new StreamWriter(temporary, options))
            {
                file.Write(text.ToString());
            }
            File.Move(temporary, _path, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DvsException(DvsError.Generic, $"record epochs in {_path}: {e.Message}");
        }
    }
}
