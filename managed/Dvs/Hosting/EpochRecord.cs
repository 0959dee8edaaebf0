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
    private readonly Dictionary<(int DcId, int Endpoint), (uint Epoch, int Owner, string? Kind)> _epochs = new();
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
            if (words.Length is 4 or 5 &&
                int.TryParse(words[0], NumberStyles.None, CultureInfo.InvariantCulture, out int dc) &&
                int.TryParse(words[1], NumberStyles.None, CultureInfo.InvariantCulture, out int endpoint) &&
                uint.TryParse(words[2], NumberStyles.None, CultureInfo.InvariantCulture, out uint epoch) &&
                int.TryParse(words[3], NumberStyles.None, CultureInfo.InvariantCulture, out int owner))
            {
                record._epochs[(dc, endpoint)] = (epoch, owner, words.Length == 5 && words[4] != "-" ? words[4] : null);
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
            (epoch, owner, _) = entry;
            return known;
        }
    }

    /// <summary>
    /// Records that <paramref name="owner"/> has the endpoint at <paramref name="epoch"/>, unless a
    /// newer epoch is recorded (the same epoch may change hands: a handover); persisted before it returns.
    /// </summary>
    /// <param name="dcid">The DC.</param>
    /// <param name="endpoint">The endpoint.</param>
    /// <param name="epoch">The epoch used.</param>
    /// <param name="owner">The node that has the endpoint at that epoch.</param>
    /// <param name="kind">The service kind, when this node serves it (kept from before when null).</param>
    public void Raise(int dcid, int endpoint, uint epoch, int owner, string? kind = null)
    {
        lock (_lock)
        {
            bool recorded = _epochs.TryGetValue((dcid, endpoint), out var known);
            kind ??= known.Kind;
            if (recorded && (known.Epoch > epoch || known == (epoch, owner, kind)))
            {
                return;
            }
            _epochs[(dcid, endpoint)] = (epoch, owner, kind);
            Write();
        }
    }

    /// <summary>The endpoints this node served last (its own entries with a service kind): what a restart must bring back.</summary>
    public List<(int DcId, int Endpoint, uint Epoch, string Kind)> Served(int self)
    {
        lock (_lock)
        {
            return _epochs.Where(e => e.Value.Owner == self && e.Value.Kind is not null)
                .Select(e => (e.Key.DcId, e.Key.Endpoint, e.Value.Epoch, e.Value.Kind!)).ToList();
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
        foreach (((int dc, int endpoint), (uint epoch, int owner, string? kind)) in _epochs)
        {
            text.Append(CultureInfo.InvariantCulture, $"{dc} {endpoint} {epoch} {owner} {kind ?? "-"}\n");
        }
        try
        {
            Ipc.PrivateFile.ReplaceWith(_path, text.ToString());
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DvsException(DvsError.Generic, $"record epochs in {_path}: {e.Message}");
        }
    }
}
