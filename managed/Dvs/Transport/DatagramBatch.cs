namespace Dvs.Transport;

/// <summary>
/// A preallocated set of datagram slots, the unit of batched I/O (sendmmsg / recvmmsg). Each slot
/// holds one datagram and the node id of its peer (destination when sending, source when
/// receiving; -1 when the source address is not a known peer). Buffers are pinned so the native
/// channel reads and writes them in place. Not thread-safe: one batch per thread and direction.
/// </summary>
internal sealed class DatagramBatch
{
    private readonly byte[] _buffer;
    private readonly int[] _lengths;
    private readonly int[] _peers;

    public DatagramBatch(int capacity, int slotSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(slotSize, 1);
        Capacity = capacity;
        SlotSize = slotSize;
        _buffer = GC.AllocateUninitializedArray<byte>(checked(capacity * slotSize), pinned: true);
        _lengths = GC.AllocateArray<int>(capacity, pinned: true);
        _peers = new int[capacity];
    }

    public int Capacity { get; }

    public int SlotSize { get; }

    public int Count { get; private set; }

    public bool IsFull => Count == Capacity;

    /// <summary>The free slot the next datagram is written into; commit it with <see cref="Commit"/>.</summary>
    public Span<byte> NextSlot
    {
        get
        {
            if (Count == Capacity)
            {
                throw new InvalidOperationException("the batch is full");
            }
            return _buffer.AsSpan(Count * SlotSize, SlotSize);
        }
    }

    /// <summary>Adds the datagram written into <see cref="NextSlot"/>.</summary>
    public void Commit(int peer, int length)
    {
        if (Count == Capacity)
        {
            throw new InvalidOperationException("the batch is full");
        }
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, SlotSize);
        _lengths[Count] = length;
        _peers[Count] = peer;
        Count++;
    }

    /// <summary>Copies a datagram in; false when the batch is full or it does not fit a slot.</summary>
    public bool TryAdd(int peer, ReadOnlySpan<byte> datagram)
    {
        if (Count == Capacity || datagram.Length > SlotSize)
        {
            return false;
        }
        datagram.CopyTo(_buffer.AsSpan(Count * SlotSize, SlotSize));
        Commit(peer, datagram.Length);
        return true;
    }

    /// <summary>Datagram <paramref name="index"/>.</summary>
    public ReadOnlySpan<byte> this[int index]
    {
        get
        {
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)index, (uint)Count, nameof(index));
            return _buffer.AsSpan(index * SlotSize, _lengths[index]);
        }
    }

    public int Peer(int index)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)index, (uint)Count, nameof(index));
        return _peers[index];
    }

    public void Clear() => Count = 0;

    // For channels: the raw arrays, filled in place and then published with SetReceived.
    internal byte[] Buffer => _buffer;

    internal int[] Lengths => _lengths;

    internal int[] Peers => _peers;

    internal void SetReceived(int count)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan((uint)count, (uint)Capacity, nameof(count));
        Count = count;
    }
}
