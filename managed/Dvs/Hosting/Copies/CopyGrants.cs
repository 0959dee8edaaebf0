namespace Dvs.Hosting.Copies;

/// <summary>
/// The remote copies a node asked a peer to stream into one of its endpoints: per copy (source
/// node, DC, destination endpoint, request sequence) the destination range asked for. Copy data
/// is written only inside a grant (issue 11.23). One entry per copy, never per message.
/// Thread-safe: the outbound thread adds grants for pulls, the inbound thread for opens and
/// checks and removes them.
/// </summary>
internal sealed class CopyGrants(int capacity)
{
    private readonly Dictionary<(int Peer, int Dc, int Endpoint, uint Sequence), (long Address, long Bytes)> _grants = new();
    private readonly Lock _lock = new();

    /// <summary>Grants [address, address + bytes); false when <c>capacity</c> copies wait already.</summary>
    public bool TryAdd(int peer, int dcid, int endpoint, uint sequence, long address, long bytes)
    {
        lock (_lock)
        {
            if (_grants.Count >= capacity || bytes < 0)
            {
                return false;
            }
            _grants[(peer, dcid, endpoint, sequence)] = (address, bytes);
            return true;
        }
    }

    /// <summary>Null when no grant exists for the copy; else whether it covers
    /// [address, address + length).</summary>
    public bool? Covers(int peer, int dcid, int endpoint, uint sequence, long address, int length)
    {
        lock (_lock)
        {
            if (!_grants.TryGetValue((peer, dcid, endpoint, sequence), out var grant))
            {
                return null;
            }
            return address >= grant.Address && length <= grant.Bytes && address - grant.Address <= grant.Bytes - length;
        }
    }

    /// <summary>The copy ended; false when there was no grant for it.</summary>
    public bool Remove(int peer, int dcid, int endpoint, uint sequence)
    {
        lock (_lock)
        {
            return _grants.Remove((peer, dcid, endpoint, sequence));
        }
    }

    /// <summary>The peer restarted: the copies it streamed here will not finish.</summary>
    public void RemovePeer(int peer)
    {
        lock (_lock)
        {
            foreach (var key in _grants.Keys.Where(k => k.Peer == peer).ToList())
            {
                _grants.Remove(key);
            }
        }
    }
}
