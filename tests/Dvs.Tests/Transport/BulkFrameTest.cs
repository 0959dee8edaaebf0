using System.Buffers.Binary;
using Dvs.Transport;
using NUnit.Framework;
using static Dvs.Tests.Transport.TransportTestKit;

namespace Dvs.Tests.Transport;

/// <summary>A bulk frame (one message header, raw bytes) round-trips; malformed ones are dropped.</summary>
public sealed class BulkFrameTest
{
    private static byte[] BulkFrame(int dataLength, ushort dc = 3)
    {
        var frame = new byte[FrameDescriptor.MinFrameLength + FrameDescriptor.MessageHeaderLength + dataLength];
        var header = new MessageHeader(dc, 31, 10, 7, 4096);
        FrameWriter.EncodeMessageHeader(frame.AsSpan(FrameDescriptor.HeaderLength), header);
        for (int i = 0; i < dataLength; i++)
        {
            frame[FrameDescriptor.HeaderLength + FrameDescriptor.MessageHeaderLength + i] = (byte)(i % 251);
        }
        FrameHeader h = Header(FrameKind.Bulk);
        h.Sequence = 5;
        int length = FrameWriter.CompleteBulk(frame, h, dataLength, Credentials);
        Assert.That(length, Is.EqualTo(frame.Length));
        return frame;
    }

    [TestCase(0)]
    [TestCase(1)]
    [TestCase(60_000)]
    public void ABulkFrameIsReadBackWithItsHeaderAndBytes(int dataLength)
    {
        byte[] frame = BulkFrame(dataLength);
        var drops = new DropCounters();
        Assert.That(ReaderAtB(drops, FrameDescriptor.MaxFrameLength).TryRead(frame, out FrameHeader h), Is.EqualTo(DropReason.None));
        Assert.That((h.Kind, h.MessageCount, h.Sequence), Is.EqualTo((FrameKind.Bulk, (ushort)1, 5UL)));
        ReadOnlySpan<byte> data = FrameReader.ReadBulk(frame, h, out MessageHeader mh);
        Assert.That((mh.DcId, mh.CallKind, mh.Destination, mh.Epoch, mh.RequestSequence), Is.EqualTo(((ushort)3, (byte)31, 10, 7u, 4096u)));
        Assert.That(data.Length, Is.EqualTo(dataLength));
        Assert.That(data.ToArray(), Is.EqualTo(Enumerable.Range(0, dataLength).Select(i => (byte)(i % 251)).ToArray()));
    }

    [TestCase(0)]
    [TestCase(2)]
    public void ABulkFrameWithOtherThanOneMessageIsBadLength(int count)
    {
        byte[] frame = BulkFrame(100);
        BinaryPrimitives.WriteUInt16LittleEndian(frame.AsSpan(FrameDescriptor.MessageCountOffset), (ushort)count);
        Reseal(frame);
        Assert.That(ReaderAtB(null, FrameDescriptor.MaxFrameLength).TryRead(frame, out _), Is.EqualTo(DropReason.BadLength));
    }

    [Test]
    public void ABulkFrameShorterThanAMessageHeaderIsBadLength()
    {
        byte[] frame = BulkFrame(0)[..^(FrameDescriptor.HmacLength + 1)];
        BinaryPrimitives.WriteUInt32LittleEndian(frame.AsSpan(FrameDescriptor.PayloadLengthOffset), FrameDescriptor.MessageHeaderLength - 1);
        frame = [.. frame, .. new byte[FrameDescriptor.HmacLength]];
        Reseal(frame);
        Assert.That(ReaderAtB(null, FrameDescriptor.MaxFrameLength).TryRead(frame, out _), Is.EqualTo(DropReason.BadLength));
    }

    [Test]
    public void ABulkFrameForAnOutOfRangeDcIsABadMessageHeader()
    {
        byte[] frame = BulkFrame(100, dc: FrameDescriptor.MaxDcs);
        Assert.That(ReaderAtB(null, FrameDescriptor.MaxFrameLength).TryRead(frame, out _), Is.EqualTo(DropReason.BadMessageHeader));
    }

    [Test]
    public void ATamperedBulkFrameFailsItsHmac()
    {
        byte[] frame = BulkFrame(1000);
        frame[FrameDescriptor.HeaderLength + FrameDescriptor.MessageHeaderLength + 500] ^= 1;
        Assert.That(ReaderAtB(null, FrameDescriptor.MaxFrameLength).TryRead(frame, out _), Is.EqualTo(DropReason.BadHmac));
    }
}
