namespace Dvs.Ipc;

/// <summary>
/// Messages the owner took off its ring while receiving from one source (or only requests) and
/// that wait for a later receive, in arrival order, each with its meta and client incarnation.
/// Private to the owning process: the ring is a FIFO, DVS receive(src) is not. Bounded: when full
/// the owner stops draining its ring, so senders feel back-pressure instead of the owner growing
/// memory. Starts small and doubles up to its bound: most endpoints never defer anything, and the
/// bound follows the ring capacity (4 x 4096 entries of 80 bytes would be 1.3 MB per endpoint).
/// </summary>
internal sealed class DeferredQueue
{
    private const int InitialCapacity = 64;

    private HeldMessage[] _held;
    private readonly int _bound;
    private int _count;

    public DeferredQueue(int bound)
    {
        _bound = bound;
        _held = new HeldMessage[Math.Min(bound, InitialCapacity)];
    }

    public int Count => _count;

    public bool IsFull => _count >= _bound;

    public void Add(in Message message, int meta, ulong incarnation)
    {
        if (_count == _held.Length)
        {
            Array.Resize(ref _held, Math.Max(_count + 1, Math.Min(_bound, _held.Length * 2)));
        }
        _held[_count++] = new HeldMessage(message, meta, incarnation);
    }

    /// <summary>Takes the oldest message from <paramref name="source"/> (or any), optionally only requests.</summary>
    public bool TryTake(int source, bool requestsOnly, out Message message, out int meta, out ulong incarnation)
    {
        for (int i = 0; i < _count; i++)
        {
            ref readonly HeldMessage h = ref _held[i];
            if ((source == EndpointNumber.Any || h.Message.Source == source) &&
                (!requestsOnly || (h.Meta & Layout.SegmentLayout.KindMask) == Layout.SegmentLayout.KindSendRec))
            {
                (message, meta, incarnation) = h;
                _count--;
                Array.Copy(_held, i + 1, _held, i, _count - i);
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
        if (_count + n > _held.Length)
        {
            Array.Resize(ref _held, _count + n);
        }
        Array.Copy(_held, 0, _held, n, _count);
        for (int i = 0; i < n; i++)
        {
            _held[i] = held[i];
        }
        _count += n;
    }
}
