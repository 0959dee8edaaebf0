namespace Dvs.Services;

/// <summary>
/// Per client: the (incarnation, sequence) of its latest executed request and the reply it got. A
/// request that repeats both (replayed after a migration) is answered from here, never executed
/// again; a request of another incarnation (the client endpoint was bound again, and its sequences
/// restarted) is new. One entry per client endpoint: DVS clients have one request outstanding at a
/// time. Moves with the endpoint. Not thread-safe: the service thread owns it.
/// </summary>
public sealed class ExactlyOnceTable
{
    private readonly Dictionary<int, Entry> _entries = new();

    public int Count => _entries.Count;

    /// <summary>The cached reply when <paramref name="client"/>'s request (<paramref name="incarnation"/>, <paramref name="sequence"/>) was executed.</summary>
    public bool TryGetReply(int client, ulong incarnation, int sequence, out Message reply)
    {
        if (_entries.TryGetValue(client, out Entry entry) && entry.Sequence == sequence && entry.Incarnation == incarnation)
        {
            reply = entry.Reply;
            return true;
        }
        reply = default;
        return false;
    }

    public void Record(int client, ulong incarnation, int sequence, in Message reply) =>
        _entries[client] = new Entry(incarnation, sequence, reply);

    public IEnumerable<(int Client, ulong Incarnation, int Sequence, Message Reply)> Entries =>
        _entries.Select(e => (e.Key, e.Value.Incarnation, e.Value.Sequence, e.Value.Reply));

    public void Clear() => _entries.Clear();

    private readonly record struct Entry(ulong Incarnation, int Sequence, Message Reply);
}
