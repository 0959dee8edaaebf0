namespace Dvs.Transport;

/// <summary>The fixed header of a frame, decoded (layout in <see cref="FrameDescriptor"/>).</summary>
internal struct FrameHeader
{
    public FrameKind Kind;
    public ushort MessageCount;
    public uint ClusterId;
    public ushort SourceNode;
    public ushort DestinationNode;
    public ulong SenderIncarnation;
    public ulong ReceiverIncarnation;
    public ulong Sequence;
    public ulong CumulativeAck;
    public ulong SelectiveAcks;
    public uint PayloadLength;
    public uint ReceiveWindow;
}
