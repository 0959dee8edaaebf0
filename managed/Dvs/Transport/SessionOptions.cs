namespace Dvs.Transport;

/// <summary>
/// Tuning of a <see cref="ReliableSession"/>. Memory per session is about
/// 2 x WindowFrames x Mtu. Not thread-safe; do not change after a session was created with it.
/// </summary>
internal sealed class SessionOptions
{
    /// <summary>Frames in flight per direction (a power of two, 2..4096).</summary>
    public int WindowFrames { get; set; } = 128;

    /// <summary>Largest datagram sent (and accepted).</summary>
    public int Mtu { get; set; } = FrameDescriptor.DefaultMtu;

    /// <summary>Largest bulk frame (<see cref="ReliableSession.TrySendBulk"/>); 0: the MTU. Larger
    /// than the MTU only where the path takes such datagrams whole (loopback: up to 65507).</summary>
    public int BulkMtu { get; set; }

    /// <summary>Bytes of bulk frames in flight at most (kept below the sockets' buffers: a bulk
    /// burst larger than the receiver's buffer is lost whole).</summary>
    public int BulkWindowBytes { get; set; } = 4 << 20;

    /// <summary>Retransmission timeout before the first round-trip sample (RFC 6298 uses 1 s;
    /// node hosts share a LAN).</summary>
    public TimeSpan InitialRto { get; set; } = TimeSpan.FromMilliseconds(100);

    public TimeSpan MinRto { get; set; } = TimeSpan.FromMilliseconds(5);

    /// <summary>Upper bound of the exponential backoff.</summary>
    public TimeSpan MaxRto { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long the ack of a lone in-order data frame may wait for data going back
    /// (which carries it for free). Zero acknowledges every frame at once. Below MinRto.</summary>
    public TimeSpan AckDelay { get; set; } = TimeSpan.FromMilliseconds(1);

    /// <summary>A heartbeat goes out when nothing else was sent for this long.</summary>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Silence after which the peer is declared down.</summary>
    public TimeSpan PeerDownAfter { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Throws when an option is out of range (off the hot path, at configuration).</summary>
    public void Validate()
    {
        if (WindowFrames < 2 || WindowFrames > 4096 || (WindowFrames & (WindowFrames - 1)) != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(WindowFrames), WindowFrames, "a power of two, 2..4096");
        }
        if (FrameDescriptor.MessagesPerFrame(Mtu) < 1 || Mtu > FrameDescriptor.MaxFrameLength)
        {
            throw new ArgumentOutOfRangeException(nameof(Mtu), Mtu,
                $"{FrameDescriptor.FrameLength(1)}..{FrameDescriptor.MaxFrameLength}");
        }
        if (BulkMtu != 0 && (BulkMtu < Mtu || BulkMtu > FrameDescriptor.MaxFrameLength))
        {
            throw new ArgumentOutOfRangeException(nameof(BulkMtu), BulkMtu, $"0, or Mtu..{FrameDescriptor.MaxFrameLength}");
        }
        if (BulkWindowBytes < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(BulkWindowBytes), BulkWindowBytes, "positive");
        }
        if (MinRto <= TimeSpan.Zero || MaxRto < MinRto || InitialRto < MinRto || InitialRto > MaxRto)
        {
            throw new ArgumentOutOfRangeException(nameof(InitialRto), "0 < MinRto <= InitialRto <= MaxRto");
        }
        if (AckDelay < TimeSpan.Zero || AckDelay >= MinRto)
        {
            throw new ArgumentOutOfRangeException(nameof(AckDelay), AckDelay, "0 <= AckDelay < MinRto");
        }
        if (HeartbeatInterval <= TimeSpan.Zero || PeerDownAfter <= HeartbeatInterval)
        {
            throw new ArgumentOutOfRangeException(nameof(PeerDownAfter), "0 < HeartbeatInterval < PeerDownAfter");
        }
    }
}
