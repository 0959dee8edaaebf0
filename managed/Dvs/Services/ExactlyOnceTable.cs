namespace Dvs.Services;

/// <summary>
/// Per client: the sequence of its latest executed request and the reply it got. A request that
/// repeats that sequence (replayed after a migration) is answered from here, never executed
/// again. One entry per client endpoint: DVS clients have one request outstanding at a time.
/// Moves with the endpoint.
/// </summary>
public sealed class ExactlyOnceTable
{
    private readonly Dictionary<int, (int Sequence, Message Reply)> _entries = new();

    public int Count => _entries.Count;

    /// <summary>The cached reply when <paramref name="client"/>'s request <paramref name="sequence"/> was executed.</summary>
    public bool TryGetReply(int client, int sequence, out Message reply)
    {
        if (_entries.TryGetValue(client, out var entry) && entry.Sequence == sequence)
        {
            reply = entry.Reply;
            return true;
        }
        reply = default;
        return false;
    }

    public void Record(int client, int sequence, in Message reply) => _entries[client] = (sequence, reply);

    public IEnumerable<(int Client, int Sequence, Message Reply)> Entries =>
        _entries.Select(e => (e.Key, e.Value.Sequence, e.Value.Reply));

    public void Clear() => _entries.Clear();
}
