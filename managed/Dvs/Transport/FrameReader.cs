using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace Dvs.Transport;

/// <summary>
/// Validates received datagrams. A datagram is trusted only when every field is in bounds and the
/// HMAC matches; anything else is dropped with a reason and counted, never thrown.
/// Not thread-safe for configuration changes; <see cref="TryRead"/> itself keeps no state besides
/// the (thread-safe) counters, so one reader may serve several receive threads.
/// </summary>
internal sealed class FrameReader
{
    private readonly ClusterCredentials _credentials;
    private readonly int _localNode;
    private readonly int _maxFrameLength;
    private ulong _knownNodes;

    /// <param name="credentials">Cluster id and HMAC key.</param>
    /// <param name="localNode">Our node id; frames for other nodes are dropped.</param>
    /// <param name="knownNodes">Bit n set: node n is a peer we accept frames from.</param>
    /// <param name="maxFrameLength">Largest accepted datagram (the receive MTU).</param>
    /// <param name="drops">Where drops are counted.</param>
    public FrameReader(ClusterCredentials credentials, int localNode, ulong knownNodes, int maxFrameLength,
        DropCounters drops)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(localNode);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(localNode, FrameDescriptor.MaxNodes);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxFrameLength, FrameDescriptor.MinFrameLength);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxFrameLength, FrameDescriptor.MaxFrameLength);
        _credentials = credentials;
        _localNode = localNode;
        _knownNodes = knownNodes & ~(1UL << localNode);
        _maxFrameLength = maxFrameLength;
        Drops = drops;
    }

    public DropCounters Drops { get; }

    /// <summary>Bit n set: frames from node n are accepted.</summary>
    public ulong KnownNodes
    {
        get => Volatile.Read(ref _knownNodes);
        set => Volatile.Write(ref _knownNodes, value & ~(1UL << _localNode));
    }

    /// <summary>
    /// Validates <paramref name="datagram"/>. Returns <see cref="DropReason.None"/> and the decoded
    /// header when it is a valid frame for this node; otherwise the reason, already counted.
    /// Never throws, allocates nothing.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public DropReason TryRead(ReadOnlySpan<byte> datagram, out FrameHeader header)
    {
        DropReason reason = Validate(datagram, out header);
        if (reason != DropReason.None)
        {
            Drops.Increment(reason);
            header = default;
        }
        return reason;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private DropReason Validate(ReadOnlySpan<byte> d, out FrameHeader h)
    {
        h = default;
        if (d.Length < FrameDescriptor.MinFrameLength)
        {
            return DropReason.TooShort;
        }
        if (d.Length > _maxFrameLength)
        {
            return DropReason.TooLong;
        }
        if (BinaryPrimitives.ReadUInt32LittleEndian(d[FrameDescriptor.MagicOffset..]) != FrameDescriptor.Magic)
        {
            return DropReason.BadMagic;
        }
        if (d[FrameDescriptor.VersionOffset] != FrameDescriptor.Version)
        {
            return DropReason.BadVersion;
        }
        var kind = (FrameKind)d[FrameDescriptor.KindOffset];
        if (kind is < FrameKind.Data or > FrameKind.Bulk)
        {
            return DropReason.BadKind;
        }
        h.Kind = kind;
        h.ClusterId = BinaryPrimitives.ReadUInt32LittleEndian(d[FrameDescriptor.ClusterIdOffset..]);
        if (h.ClusterId != _credentials.ClusterId)
        {
            return DropReason.WrongCluster;
        }
        h.DestinationNode = BinaryPrimitives.ReadUInt16LittleEndian(d[FrameDescriptor.DestinationNodeOffset..]);
        if (h.DestinationNode != _localNode)
        {
            return DropReason.WrongDestination;
        }
        h.SourceNode = BinaryPrimitives.ReadUInt16LittleEndian(d[FrameDescriptor.SourceNodeOffset..]);
        if (h.SourceNode >= FrameDescriptor.MaxNodes || (KnownNodes & (1UL << h.SourceNode)) == 0)
        {
            return DropReason.UnknownNode;
        }
        h.MessageCount = BinaryPrimitives.ReadUInt16LittleEndian(d[FrameDescriptor.MessageCountOffset..]);
        h.PayloadLength = BinaryPrimitives.ReadUInt32LittleEndian(d[FrameDescriptor.PayloadLengthOffset..]);
        bool lengthOk = kind == FrameKind.Bulk
            ? h.MessageCount == 1 && h.PayloadLength >= FrameDescriptor.MessageHeaderLength
            : h.PayloadLength == (uint)h.MessageCount * FrameDescriptor.EntryLength && (kind == FrameKind.Data) == (h.MessageCount > 0);
        if (!lengthOk || (long)FrameDescriptor.MinFrameLength + h.PayloadLength != d.Length)
        {
            return DropReason.BadLength;
        }
        // Cheap checks first; the HMAC is the expensive one and must pass before any field is used.
        int hmacOffset = FrameDescriptor.HmacOffset((int)h.PayloadLength);
        if (!_credentials.VerifyTag(d[..hmacOffset], d.Slice(hmacOffset, FrameDescriptor.HmacLength)))
        {
            return DropReason.BadHmac;
        }
        for (int i = 0; i < h.MessageCount; i++)
        {
            int dc = BinaryPrimitives.ReadUInt16LittleEndian(d[(FrameDescriptor.EntryOffset(i) + FrameDescriptor.MessageDcOffset)..]);
            if (dc >= FrameDescriptor.MaxDcs)
            {
                return DropReason.BadMessageHeader;
            }
        }
        h.SenderIncarnation = BinaryPrimitives.ReadUInt64LittleEndian(d[FrameDescriptor.SenderIncarnationOffset..]);
        h.ReceiverIncarnation = BinaryPrimitives.ReadUInt64LittleEndian(d[FrameDescriptor.ReceiverIncarnationOffset..]);
        h.Sequence = BinaryPrimitives.ReadUInt64LittleEndian(d[FrameDescriptor.SequenceOffset..]);
        h.CumulativeAck = BinaryPrimitives.ReadUInt64LittleEndian(d[FrameDescriptor.CumulativeAckOffset..]);
        h.SelectiveAcks = BinaryPrimitives.ReadUInt64LittleEndian(d[FrameDescriptor.SelectiveAcksOffset..]);
        h.ReceiveWindow = BinaryPrimitives.ReadUInt32LittleEndian(d[FrameDescriptor.ReceiveWindowOffset..]);
        if (h.SenderIncarnation == 0)
        {
            // Zero means "unknown" on the wire; nobody may claim it as its own incarnation.
            return DropReason.StaleIncarnation;
        }
        return DropReason.None;
    }

    /// <summary>Decodes message header <paramref name="index"/> of a validated frame and returns
    /// its 64-byte message.</summary>
    public static ReadOnlySpan<byte> ReadMessage(ReadOnlySpan<byte> frame, int index, out MessageHeader header) =>
        ReadEntry(frame.Slice(FrameDescriptor.EntryOffset(index), FrameDescriptor.EntryLength), out header);

    /// <summary>Decodes one encoded entry (message header + message).</summary>
    public static ReadOnlySpan<byte> ReadEntry(ReadOnlySpan<byte> entry, out MessageHeader header)
    {
        ReadMessageHeader(entry, out header);
        return entry.Slice(FrameDescriptor.MessageHeaderLength, FrameDescriptor.MessageLength);
    }

    /// <summary>Decodes the message header and returns the raw bytes of a validated bulk frame.</summary>
    public static ReadOnlySpan<byte> ReadBulk(ReadOnlySpan<byte> frame, in FrameHeader frameHeader, out MessageHeader header)
    {
        ReadOnlySpan<byte> payload = frame.Slice(FrameDescriptor.HeaderLength, (int)frameHeader.PayloadLength);
        ReadMessageHeader(payload, out header);
        return payload[FrameDescriptor.MessageHeaderLength..];
    }

    /// <summary>Decodes a message header alone.</summary>
    public static void ReadMessageHeader(ReadOnlySpan<byte> entry, out MessageHeader header)
    {
        header.DcId = BinaryPrimitives.ReadUInt16LittleEndian(entry[FrameDescriptor.MessageDcOffset..]);
        header.CallKind = entry[FrameDescriptor.MessageCallKindOffset];
        header.Flags = entry[FrameDescriptor.MessageFlagsOffset];
        header.Destination = BinaryPrimitives.ReadInt32LittleEndian(entry[FrameDescriptor.MessageDestinationOffset..]);
        header.Epoch = BinaryPrimitives.ReadUInt32LittleEndian(entry[FrameDescriptor.MessageEpochOffset..]);
        header.RequestSequence = BinaryPrimitives.ReadUInt32LittleEndian(entry[FrameDescriptor.MessageRequestSequenceOffset..]);
        header.SourceIncarnation = BinaryPrimitives.ReadUInt64LittleEndian(entry[FrameDescriptor.MessageSourceIncarnationOffset..]);
    }
}
