namespace Dvs.Transport;

/// <summary>
/// Layout of a transport frame (one UDP datagram between two node hosts). Every offset of the wire
/// format lives here; nobody else computes one. All integers are little-endian.
/// </summary>
/// <remarks>
/// <code>
///   0  magic              u32  "DVSF"
///   4  version            u8
///   5  kind               u8   FrameKind
///   6  message count      u16
///   8  cluster id         u32  hash of the cluster name
///  12  source node        u16
///  14  destination node   u16
///  16  sender incarnation u64
///  24  receiver incarn.   u64  the destination's incarnation as the sender believes it (0: unknown)
///  32  sequence           u64  data and bulk frames: frame sequence; ack, heartbeat, hello: control
///                               sequence (1, 2, ... per control frame of the sender's incarnation)
///  40  cumulative ack     u64  next data sequence the sender of this frame expects
///  48  selective acks     u64  bit i: sequence (cumulative ack + 1 + i) was received
///  56  payload length     u32  message count * EntrySize
///  60  receive window     u32  data frames the sender of this frame accepts from cumulative ack on
///  64  entries            message count x (24-byte message header + 64-byte message)
///  64 + payload length    HMAC-SHA256 over bytes [0, 64 + payload length), truncated to 16 bytes
/// </code>
/// Message header (per entry): dc u16 @0, call kind u8 @2, flags u8 @3, destination endpoint
/// i32 @4, epoch u32 @8, request sequence u32 @12, source incarnation u64 @16 (which binding of
/// the sending endpoint made a request: the exactly-once key is client, incarnation, sequence);
/// the 64-byte message at @24.
/// </remarks>
internal static class FrameDescriptor
{
    /// <summary>"DVSF" read as a little-endian u32.</summary>
    public const uint Magic = 0x46535644;
    /// <summary>3: control frames carry a control sequence, and only a newer one is a sign of
    /// life (2 sent 0 there). 2: the message header carries the source incarnation (24 bytes, was 16).</summary>
    public const byte Version = 3;

    public const int MagicOffset = 0;
    public const int VersionOffset = 4;
    public const int KindOffset = 5;
    public const int MessageCountOffset = 6;
    public const int ClusterIdOffset = 8;
    public const int SourceNodeOffset = 12;
    public const int DestinationNodeOffset = 14;
    public const int SenderIncarnationOffset = 16;
    public const int ReceiverIncarnationOffset = 24;
    public const int SequenceOffset = 32;
    public const int CumulativeAckOffset = 40;
    public const int SelectiveAcksOffset = 48;
    public const int PayloadLengthOffset = 56;
    public const int ReceiveWindowOffset = 60;
    public const int HeaderLength = 64;

    public const int MessageDcOffset = 0;
    public const int MessageCallKindOffset = 2;
    public const int MessageFlagsOffset = 3;
    public const int MessageDestinationOffset = 4;
    public const int MessageEpochOffset = 8;
    public const int MessageRequestSequenceOffset = 12;
    public const int MessageSourceIncarnationOffset = 16;
    public const int MessageHeaderLength = 24;
    /// <summary>The fixed Dvs message (dvs_message_t).</summary>
    public const int MessageLength = 64;
    public const int EntryLength = MessageHeaderLength + MessageLength;

    public const int HmacLength = 16;
    /// <summary>A frame without messages: acks, heartbeats, hellos.</summary>
    public const int MinFrameLength = HeaderLength + HmacLength;
    /// <summary>The largest UDP payload over IPv4.</summary>
    public const int MaxFrameLength = 65507;
    /// <summary>Ethernet MTU minus IPv4 and UDP headers.</summary>
    public const int DefaultMtu = 1472;

    /// <summary>DC ids are 0..31 as in DVS (DVS_MAX_DCS).</summary>
    public const int MaxDcs = 32;
    /// <summary>Node ids are 0..63 (the known-node set is a 64-bit mask).</summary>
    public const int MaxNodes = 64;
    /// <summary>Selective acks cover this many sequences after the cumulative ack.</summary>
    public const int SelectiveAckBits = 64;

    /// <summary>How many messages fit into one frame of at most <paramref name="mtu"/> bytes.</summary>
    public static int MessagesPerFrame(int mtu) => (mtu - MinFrameLength) / EntryLength;

    /// <summary>Offset of entry <paramref name="index"/> (its message header).</summary>
    public static int EntryOffset(int index) => HeaderLength + index * EntryLength;

    /// <summary>Offset of the HMAC of a frame carrying <paramref name="payloadLength"/> bytes.</summary>
    public static int HmacOffset(int payloadLength) => HeaderLength + payloadLength;

    /// <summary>Total length of a frame with <paramref name="messageCount"/> messages.</summary>
    public static int FrameLength(int messageCount) => MinFrameLength + messageCount * EntryLength;
}
