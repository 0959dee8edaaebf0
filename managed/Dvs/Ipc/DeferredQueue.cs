using Dvs.Layout;

namespace Dvs.Ipc;

/// <summary>
/// Messages the owner took off its ring while receiving from one source (or only requests) and
/// that wait for a later receive, in arrival order, each with its meta and client incarnation.
/// Private to the owning process: the ring is a FIFO, DVS receive(src) is not.
/// </summary>
/// <remarks>
/// Every take is O(1) amortized, whatever the mix: entries sit in arrival order in one array and
/// are also chained per source bucket (the source's slot) and per request, so a take from one
/// source or of a request follows its chain instead of scanning; a taken entry stays behind as a
/// tombstone that each chain skips once, and the array is compacted when tombstones fill it.
/// Bounded by the owner: <see cref="IsFull"/> tells it to stop draining its ring so that senders
/// feel back-pressure instead of the owner growing memory (it may add past the bound on purpose,
/// see Endpoint's hold). Starts small and grows: most endpoints never defer anything.
/// </remarks>
internal sealed class DeferredQueue
{
    private const int InitialCapacity = 64;
    private const int None = -1;

    private readonly int _bound;
    private readonly Func<int, int> _bucketOf;
    private HeldMessage[] _held;
    private int[] _nextSame;        // next entry of the same bucket, or None
    private int[] _nextRequest;     // next request entry, or None
    private bool[] _taken;
    private int _head;              // no live entry below it
    private int _tail;              // next free entry
    private int _count;             // live entries
    private readonly int[] _bucketHead;
    private readonly int[] _bucketTail;
    private int _requestHead = None;
    private int _requestTail = None;
    private readonly List<int> _usedBuckets = new();

    /// <param name="bound">Entries past which <see cref="IsFull"/> is true.</param>
    /// <param name="buckets">Source buckets: the DC's slots; a source outside them shares one more bucket.</param>
    /// <param name="bucketOf">A source's bucket (its slot index), negative when it has none.</param>
    public DeferredQueue(int bound, int buckets, Func<int, int> bucketOf)
    {
        _bound = bound;
        _bucketOf = bucketOf;
        int initial = Math.Min(bound, InitialCapacity);
        _held = new HeldMessage[initial];
        _nextSame = new int[initial];
        _nextRequest = new int[initial];
        _taken = new bool[initial];
        _bucketHead = new int[buckets + 1];
        _bucketTail = new int[buckets + 1];
        Array.Fill(_bucketHead, None);
        Array.Fill(_bucketTail, None);
    }

    public int Count => _count;

    public bool IsFull => _count >= _bound;

    /// <summary>Entries past which <see cref="IsFull"/> is true.</summary>
    public int Bound => _bound;

    /// <summary>Entries visited or moved so far: what the O(1) claim is tested on.</summary>
    internal long Steps { get; private set; }

    public void Add(in Message message, int meta, ulong incarnation)
    {
        if (_tail == _held.Length)
        {
            MakeRoom();
        }
        int i = _tail++;
        _held[i] = new HeldMessage(message, meta, incarnation);
        _taken[i] = false;
        _count++;
        Link(i);
    }

    /// <summary>Appends entry <paramref name="i"/> to its bucket's chain and, for a request, to the request chain.</summary>
    private void Link(int i)
    {
        Steps++;
        _nextSame[i] = None;
        _nextRequest[i] = None;
        int bucket = BucketOf(_held[i].Message.Source);
        if (_bucketTail[bucket] == None)
        {
            if (_bucketHead[bucket] == None)
            {
                _usedBuckets.Add(bucket);
            }
            _bucketHead[bucket] = i;
        }
        else
        {
            _nextSame[_bucketTail[bucket]] = i;
        }
        _bucketTail[bucket] = i;
        if (IsRequest(_held[i].Meta))
        {
            if (_requestTail == None)
            {
                _requestHead = i;
            }
            else
            {
                _nextRequest[_requestTail] = i;
            }
            _requestTail = i;
        }
    }

    /// <summary>Takes the oldest message from <paramref name="source"/> (or any), optionally only requests.</summary>
    public bool TryTake(int source, bool requestsOnly, out Message message, out int meta, out ulong incarnation)
    {
        int found = source == EndpointNumber.Any
            ? (requestsOnly ? FirstRequest() : FirstLive())
            : FirstFrom(source, requestsOnly);
        if (found == None)
        {
            message = default;
            meta = 0;
            incarnation = 0;
            return false;
        }
        (message, meta, incarnation) = _held[found];
        _taken[found] = true;
        _held[found] = default;
        if (--_count == 0)
        {
            Unlink(0);
        }
        return true;
    }

    public void Clear()
    {
        Array.Clear(_held, _head, _tail - _head);
        _count = 0;
        Unlink(0);
    }

    /// <summary>Forgets every chain and keeps entries [0, <paramref name="tail"/>) as the array's content.</summary>
    private void Unlink(int tail)
    {
        foreach (int bucket in _usedBuckets)
        {
            _bucketHead[bucket] = None;
            _bucketTail[bucket] = None;
        }
        _usedBuckets.Clear();
        _requestHead = _requestTail = None;
        _head = 0;
        _tail = tail;
    }

    /// <summary>Puts <paramref name="held"/> before everything queued (a migration's transferred queue).</summary>
    public void InsertFront(IReadOnlyList<HeldMessage> held)
    {
        var all = new List<HeldMessage>(held.Count + _count);
        all.AddRange(held);
        all.AddRange(Live());
        Clear();
        foreach (HeldMessage h in all)
        {
            Add(h.Message, h.Meta, h.Incarnation);
        }
    }

    private static bool IsRequest(int meta) => RingMeta.IsRequest(meta);

    private int BucketOf(int source)
    {
        int bucket = _bucketOf(source);
        return (uint)bucket < (uint)(_bucketHead.Length - 1) ? bucket : _bucketHead.Length - 1;
    }

    private int FirstLive()
    {
        while (_head < _tail && _taken[_head])
        {
            _head++;
            Steps++;
        }
        return _head < _tail ? _head : None;
    }

    private int FirstRequest()
    {
        while (_requestHead != None && _taken[_requestHead])
        {
            _requestHead = _nextRequest[_requestHead];
            Steps++;
        }
        if (_requestHead == None)
        {
            _requestTail = None;
        }
        return _requestHead;
    }

    private int FirstFrom(int source, bool requestsOnly)
    {
        int bucket = BucketOf(source);
        int i = _bucketHead[bucket];
        while (i != None && _taken[i])
        {
            i = _nextSame[i];
            Steps++;
        }
        _bucketHead[bucket] = i;
        if (i == None)
        {
            _bucketTail[bucket] = None;
        }
        // A bucket is one slot: its entries are that source's, unless the slot was bound again
        // (another generation) or the source has no slot. Those, and requests-only takes from one
        // source, walk the bucket; both are rare.
        for (; i != None; i = _nextSame[i])
        {
            Steps++;
            ref readonly HeldMessage h = ref _held[i];
            if (!_taken[i] && h.Message.Source == source && (!requestsOnly || IsRequest(h.Meta)))
            {
                return i;
            }
        }
        return None;
    }

    private IEnumerable<HeldMessage> Live()
    {
        for (int i = _head; i < _tail; i++)
        {
            if (!_taken[i])
            {
                yield return _held[i];
            }
        }
    }

    /// <summary>The array is used up to its end: drop the tombstones, or grow when few.</summary>
    private void MakeRoom()
    {
        if (_count <= _held.Length / 2)
        {
            // In place, in order: the live entries move down over the tombstones, chains are rebuilt.
            int live = 0;
            for (int i = _head; i < _tail; i++)
            {
                Steps++;
                if (!_taken[i])
                {
                    _held[live] = _held[i];
                    _taken[live++] = false;
                }
            }
            Array.Clear(_held, live, _tail - live);
            Unlink(live);
            for (int i = 0; i < live; i++)
            {
                Link(i);
            }
            return;
        }
        int capacity = Math.Max(_held.Length * 2, InitialCapacity);
        Array.Resize(ref _held, capacity);
        Array.Resize(ref _nextSame, capacity);
        Array.Resize(ref _nextRequest, capacity);
        Array.Resize(ref _taken, capacity);
    }
}
