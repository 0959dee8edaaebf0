using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace Dvs.Transport;

/// <summary>
/// Builds one frame in a caller-provided buffer: messages are appended until the frame reaches the
/// buffer's length (the MTU), then <see cref="Complete"/> writes the header and the HMAC.
/// A stack-only value over the destination; allocates nothing.
/// </summary>
internal ref struct FrameWriter
{
    private readonly Span<byte> _frame;
    private readonly int _capacity;
    private int _count;

    /// <param name="destination">Where the frame is built; its length is the MTU.</param>
    public FrameWriter(Span<byte> destination)
    {
        if (destination.Length < FrameDescriptor.MinFrameLength)
        {
            throw new ArgumentException("smaller than an empty frame", nameof(destination));
        }
        _frame = destination.Length > FrameDescriptor.MaxFrameLength
            ? destination[..FrameDescriptor.MaxFrameLength]
            : destination;
        _capacity = FrameDescriptor.MessagesPerFrame(_frame.Length);
        _count = 0;
    }

    /// <summary>Messages appended so far.</summary>
    public readonly int Count => _count;

    /// <summary>Messages this frame can hold.</summary>
    public readonly int Capacity => _capacity;

    public readonly bool IsFull => _count == _capacity;

    /// <summary>Appends one message; false when the frame is full.</summary>
    public bool TryAppend(in MessageHeader header, ReadOnlySpan<byte> message)
    {
        if (_count == _capacity)
        {
            return false;
        }
        EncodeEntry(_frame.Slice(FrameDescriptor.EntryOffset(_count), FrameDescriptor.EntryLength), header, message);
        _count++;
        return true;
    }

    /// <summary>Appends already encoded entries (a multiple of EntryLength bytes); false, and
    /// nothing appended, when they do not all fit.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public bool TryAppendEntries(ReadOnlySpan<byte> entries)
    {
        int n = entries.Length / FrameDescriptor.EntryLength;
        if (n * FrameDescriptor.EntryLength != entries.Length)
        {
            throw new ArgumentException("not a whole number of entries", nameof(entries));
        }
        if (_count + n > _capacity)
        {
            return false;
        }
        entries.CopyTo(_frame[FrameDescriptor.EntryOffset(_count)..]);
        _count += n;
        return true;
    }

    /// <summary>
    /// Writes the header (message count, payload length and cluster id filled in here) and the HMAC.
    /// Returns the frame length: the bytes of the destination to send.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public readonly int Complete(in FrameHeader header, ClusterCredentials credentials)
    {
        if (header.Kind != FrameKind.Data && _count != 0)
        {
            throw new InvalidOperationException("only data frames carry messages");
        }
        if (header.Kind == FrameKind.Data && _count == 0)
        {
            throw new InvalidOperationException("a data frame carries at least one message");
        }
        return WriteHeaderAndTag(_frame, header, _count, _count * FrameDescriptor.EntryLength, credentials);
    }

    /// <summary>
    /// Completes a bulk frame (<see cref="FrameKind.Bulk"/>) built in place: <paramref name="frame"/>
    /// holds the message header at <see cref="FrameDescriptor.HeaderLength"/> followed by
    /// <paramref name="dataLength"/> raw bytes. Writes the frame header and the HMAC; returns the
    /// frame length. Allocates nothing.
    /// </summary>
    public static int CompleteBulk(Span<byte> frame, in FrameHeader header, int dataLength, ClusterCredentials credentials)
    {
        if (header.Kind != FrameKind.Bulk)
        {
            throw new InvalidOperationException("not a bulk frame");
        }
        int payload = FrameDescriptor.MessageHeaderLength + dataLength;
        if (FrameDescriptor.MinFrameLength + payload > Math.Min(frame.Length, FrameDescriptor.MaxFrameLength))
        {
            throw new ArgumentException("the bulk data does not fit the frame", nameof(dataLength));
        }
        return WriteHeaderAndTag(frame, header, 1, payload, credentials);
    }

    private static int WriteHeaderAndTag(Span<byte> f, in FrameHeader header, int count, int payload, ClusterCredentials credentials)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(f[FrameDescriptor.MagicOffset..], FrameDescriptor.Magic);
        f[FrameDescriptor.VersionOffset] = FrameDescriptor.Version;
        f[FrameDescriptor.KindOffset] = (byte)header.Kind;
        BinaryPrimitives.WriteUInt16LittleEndian(f[FrameDescriptor.MessageCountOffset..], (ushort)count);
        BinaryPrimitives.WriteUInt32LittleEndian(f[FrameDescriptor.ClusterIdOffset..], credentials.ClusterId);
        BinaryPrimitives.WriteUInt16LittleEndian(f[FrameDescriptor.SourceNodeOffset..], header.SourceNode);
        BinaryPrimitives.WriteUInt16LittleEndian(f[FrameDescriptor.DestinationNodeOffset..], header.DestinationNode);
        BinaryPrimitives.WriteUInt64LittleEndian(f[FrameDescriptor.SenderIncarnationOffset..], header.SenderIncarnation);
        BinaryPrimitives.WriteUInt64LittleEndian(f[FrameDescriptor.ReceiverIncarnationOffset..], header.ReceiverIncarnation);
        BinaryPrimitives.WriteUInt64LittleEndian(f[FrameDescriptor.SequenceOffset..], header.Sequence);
        BinaryPrimitives.WriteUInt64LittleEndian(f[FrameDescriptor.CumulativeAckOffset..], header.CumulativeAck);
        BinaryPrimitives.WriteUInt64LittleEndian(f[FrameDescriptor.SelectiveAcksOffset..], header.SelectiveAcks);
        BinaryPrimitives.WriteUInt32LittleEndian(f[FrameDescriptor.PayloadLengthOffset..], (uint)payload);
        BinaryPrimitives.WriteUInt32LittleEndian(f[FrameDescriptor.ReceiveWindowOffset..], header.ReceiveWindow);
        int hmacOffset = FrameDescriptor.HmacOffset(payload);
        credentials.ComputeTag(f[..hmacOffset], f.Slice(hmacOffset, FrameDescriptor.HmacLength));
        return hmacOffset + FrameDescriptor.HmacLength;
    }

    /// <summary>Encodes one entry (message header + 64-byte message) into <paramref name="entry"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void EncodeEntry(Span<byte> entry, in MessageHeader header, ReadOnlySpan<byte> message)
    {
        if (message.Length != FrameDescriptor.MessageLength)
        {
            throw new ArgumentException("a message is 64 bytes", nameof(message));
        }
        EncodeMessageHeader(entry, header);
        message.CopyTo(entry[FrameDescriptor.MessageHeaderLength..]);
    }

    /// <summary>Encodes a message header alone (the start of an entry, or of a bulk frame's payload).</summary>
    public static void EncodeMessageHeader(Span<byte> entry, in MessageHeader header)
    {
        BinaryPrimitives.WriteUInt16LittleEndian(entry[FrameDescriptor.MessageDcOffset..], header.DcId);
        entry[FrameDescriptor.MessageCallKindOffset] = header.CallKind;
        entry[FrameDescriptor.MessageFlagsOffset] = header.Flags;
        BinaryPrimitives.WriteInt32LittleEndian(entry[FrameDescriptor.MessageDestinationOffset..], header.Destination);
        BinaryPrimitives.WriteUInt32LittleEndian(entry[FrameDescriptor.MessageEpochOffset..], header.Epoch);
        BinaryPrimitives.WriteUInt32LittleEndian(entry[FrameDescriptor.MessageRequestSequenceOffset..], header.RequestSequence);
        BinaryPrimitives.WriteUInt64LittleEndian(entry[FrameDescriptor.MessageSourceIncarnationOffset..], header.SourceIncarnation);
    }
}
