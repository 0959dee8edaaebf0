using System.Buffers.Binary;
using Dvs.Transport;

namespace Dvs.Tests.Transport;

/// <summary>Frames and credentials the transport tests share.</summary>
internal static class TransportTestKit
{
    public const int NodeA = 1;
    public const int NodeB = 2;

    public static readonly byte[] Key = Enumerable.Range(1, 32).Select(i => (byte)(i * 7)).ToArray();

    public static ClusterCredentials Credentials { get; } = new("dvs-test", Key);

    public static ulong KnownAB => (1UL << NodeA) | (1UL << NodeB);

    /// <summary>A reader on node B accepting frames from node A.</summary>
    public static FrameReader ReaderAtB(DropCounters? drops = null, int mtu = FrameDescriptor.DefaultMtu) =>
        new(Credentials, NodeB, KnownAB, mtu, drops ?? new DropCounters());

    public static byte[] Message(long value)
    {
        var m = new byte[FrameDescriptor.MessageLength];
        BinaryPrimitives.WriteInt64LittleEndian(m, value);
        BinaryPrimitives.WriteInt64LittleEndian(m.AsSpan(56), ~value);
        return m;
    }

    public static long MessageValue(ReadOnlySpan<byte> message) => BinaryPrimitives.ReadInt64LittleEndian(message);

    public static FrameHeader Header(FrameKind kind, int source = NodeA, int destination = NodeB) => new()
    {
        Kind = kind,
        SourceNode = (ushort)source,
        DestinationNode = (ushort)destination,
        SenderIncarnation = 11,
        ReceiverIncarnation = 22,
        Sequence = kind == FrameKind.Data ? 5UL : 0UL,
        CumulativeAck = 3,
        SelectiveAcks = 0b1011,
        ReceiveWindow = 64,
    };

    /// <summary>A valid data frame from A to B with <paramref name="count"/> messages.</summary>
    public static byte[] DataFrame(int count, ClusterCredentials? credentials = null, int source = NodeA,
        int destination = NodeB)
    {
        var buffer = new byte[FrameDescriptor.FrameLength(count)];
        var writer = new FrameWriter(buffer);
        for (int i = 0; i < count; i++)
        {
            var mh = new MessageHeader((ushort)(i % FrameDescriptor.MaxDcs), 2, 1000 + i, (uint)i, (uint)(77 + i));
            if (!writer.TryAppend(mh, Message(i)))
            {
                throw new InvalidOperationException("does not fit");
            }
        }
        int n = writer.Complete(Header(FrameKind.Data, source, destination), credentials ?? Credentials);
        return buffer[..n];
    }

    /// <summary>Recomputes the HMAC after a test changed a field, so only that field is wrong.</summary>
    public static void Reseal(byte[] frame, ClusterCredentials? credentials = null)
    {
        int hmacOffset = frame.Length - FrameDescriptor.HmacLength;
        (credentials ?? Credentials).ComputeTag(frame.AsSpan(0, hmacOffset), frame.AsSpan(hmacOffset));
    }
}
