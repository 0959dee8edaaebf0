namespace Dvs.Ipc;

/// <summary>
/// Messages the owner took off its ring while receiving from one source (or only requests) and
/// that wait for a later receive, in arrival order. Private to the owning process: the ring is a
/// FIFO, DVS receive(src) is not. Preallocated; when full the owner stops draining its ring, so
/// senders feel back-pressure instead of the owner growing memory.
/// </summary>
internal sealed class DeferredQueue
{
    private Message[] _messages;
    private int[] _metas;
    private ulong[] _incarnations;
    private int _count;

    public DeferredQueue(int capacity)
    {
        _messages = new Message[capacity];
        _metas = new int[capacity];
        _incarnations = new ulong[capacity];
    }

    public int Count => _count;

    public bool IsFull => _count >= _messages.Length;

    public void Add(in Message message, int meta, ulong incarnation)
    {
        _messages[_count] = message;
        _metas[_count] = meta;
        _incarnations[_count] = incarnation;
        _count++;
    }

    /// <summary>Takes the oldest message from <paramref name="source"/> (or any), optionally only requests.</summary>
    public bool TryTake(int source, bool requestsOnly, out Message message, out int meta, out ulong incarnation)
    {
        for (int i = 0; i < _count; i++)
        {
            if ((source == EndpointNumber.Any || _messages[i].Source == source) &&
                (!requestsOnly || (_metas[i] & Layout.SegmentLayout.KindMask) == Layout.SegmentLayout.KindSendRec))
            {
                message = _messages[i];
                meta = _metas[i];
                incarnation = _incarnations[i];
                _count--;
                Array.Copy(_messages, i + 1, _messages, i, _count - i);
                Array.Copy(_metas, i + 1, _metas, i, _count - i);
                Array.Copy(_incarnations, i + 1, _incarnations, i, _count - i);
                return true;
            }
        }
        message = default;
        meta = 0;
        incarnation = 0;
        return false;
    }

    public void Clear() => _count = 0;

    /// <summary>Puts <paramref name="held"/> before everything queued (a migration's transferred queue); grows if needed.</summary>
    public void InsertFront(IReadOnlyList<HeldMessage> held)
    {
        int n = held.Count;
        if (_count + n > _messages.Length)
        {
            Array.Resize(ref _messages, _count + n);
            Array.Resize(ref _metas, _count + n);
            Array.Resize(ref _incarnations, _count + n);
        }
        Array.Copy(_messages, 0, _messages, n, _count);
        Array.Copy(_metas, 0, _metas, n, _count);
        Array.Copy(_incarnations, 0, _incarnations, n, _count);
        for (int i = 0; i < n; i++)
        {
            _messages[i] = held[i].Message;
            _metas[i] = held[i].Meta;
            _incarnations[i] = held[i].Incarnation;
        }
        _count += n;
    }
}
