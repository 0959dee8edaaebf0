using Dvs.Transport;

namespace Dvs.Hosting.Copies;

/// <summary>
/// The bulk frames of the copies a node serves: slots of one pinned buffer, each reused once the
/// session that carried its last frame released it (acknowledged), so reading ahead is bounded
/// by the buffer and costs no allocation per frame. Allocated at the first remote copy.
/// Outbound thread only.
/// </summary>
internal sealed class CopyFrameRing(int bytes)
{
    private byte[]? _buffer;
    private int _slotBytes;
    private (ReliableSession? Session, long Queued)[] _slots = [];
    private int _next;

    /// <summary>
    /// The next slot, sized for <paramref name="session"/>'s bulk frames, if the frame it carried
    /// last was released; false while it is still in flight.
    /// </summary>
    /// <param name="session">The session the frame will go through.</param>
    /// <param name="frame">The slot's bytes.</param>
    public bool TryTake(ReliableSession session, out Memory<byte> frame)
    {
        int slotBytes = session.BulkCapacity;
        if (_buffer is null || _slotBytes != slotBytes)
        {
            // First remote copy, or a peer with another frame size: no frame may still use the old
            // slots (their sessions reference the bytes until acknowledged).
            foreach ((ReliableSession? s, long queued) in _slots)
            {
                if (s is not null && s.BulkReleased <= queued)
                {
                    frame = default;
                    return false;
                }
            }
            int slots = Math.Max(2, bytes / slotBytes);
            _buffer = GC.AllocateArray<byte>(slots * slotBytes, pinned: true);
            _slots = new (ReliableSession?, long)[slots];
            _slotBytes = slotBytes;
            _next = 0;
        }
        (ReliableSession? used, long number) = _slots[_next];
        if (used is not null && used.BulkReleased <= number)
        {
            frame = default;
            return false;
        }
        frame = _buffer.AsMemory(_next * slotBytes, slotBytes);
        return true;
    }

    /// <summary>The slot <see cref="TryTake"/> gave went out as <paramref name="session"/>'s last
    /// bulk frame (call under its gate): it is reused once that frame is released.</summary>
    /// <param name="session">The session that queued it.</param>
    public void Sent(ReliableSession session)
    {
        _slots[_next] = (session, session.BulkQueued - 1);
        _next = (_next + 1) % _slots.Length;
    }
}
