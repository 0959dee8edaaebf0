namespace Dvs.Transport;

/// <summary>What a frame carries (FrameDescriptor.KindOffset).</summary>
internal enum FrameKind : byte
{
    /// <summary>Messages, with a sequence number; delivered reliably and in order.</summary>
    Data = 1,
    /// <summary>Only the ack fields (cumulative ack, selective acks, receive window).</summary>
    Ack = 2,
    /// <summary>Liveness when nothing else was sent for a while; carries acks too.</summary>
    Heartbeat = 3,
    /// <summary>Sent while the peer's incarnation is unknown, so the peer learns ours.</summary>
    Hello = 4,
    /// <summary>One message header and raw bytes (a migration's state) filling the frame; in the
    /// data sequence, delivered reliably and in order with the messages around it.</summary>
    Bulk = 5,
}
