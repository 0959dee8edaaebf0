using System.Buffers.Binary;
using Dvs.Transport;
using NUnit.Framework;
using static Dvs.Tests.Transport.TransportTestKit;

namespace Dvs.Tests.Transport;

/// <summary>Every malformed frame is dropped with its own reason, counted, and never throws.</summary>
public sealed class FrameReaderTest
{
    private static DropReason Read(byte[] frame, out DropCounters drops)
    {
        drops = new DropCounters();
        return ReaderAtB(drops).TryRead(frame, out _);
    }

    private static void AssertDropped(byte[] frame, DropReason expected)
    {
        DropReason reason = Read(frame, out DropCounters drops);
        Assert.That(reason, Is.EqualTo(expected));
        Assert.That(drops[expected], Is.EqualTo(1));
        Assert.That(drops.Total, Is.EqualTo(1));
    }

    [Test]
    public void EmptyAndTruncatedFramesAreTooShort()
    {
        AssertDropped([], DropReason.TooShort);
        AssertDropped(DataFrame(1)[..(FrameDescriptor.MinFrameLength - 1)], DropReason.TooShort);
    }

    [Test]
    public void FrameCutInsideItsMessagesHasABadLength()
    {
        byte[] frame = DataFrame(3);
        AssertDropped(frame[..(frame.Length - 1)], DropReason.BadLength);
        AssertDropped(frame[..(frame.Length - FrameDescriptor.EntryLength)], DropReason.BadLength);
    }

    [Test]
    public void DatagramLongerThanTheMtuIsTooLong()
    {
        var oversized = new byte[FrameDescriptor.DefaultMtu + 1];
        DataFrame(1).CopyTo(oversized, 0);
        AssertDropped(oversized, DropReason.TooLong);
        AssertDropped(new byte[FrameDescriptor.MaxFrameLength + 1], DropReason.TooLong);
    }

    [Test]
    public void TrailingBytesAfterTheHmacAreABadLength()
    {
        byte[] frame = [.. DataFrame(1), 0];
        AssertDropped(frame, DropReason.BadLength);
    }

    [Test]
    public void WrongMagic()
    {
        byte[] frame = DataFrame(1);
        frame[0] ^= 0x20;
        Reseal(frame);
        AssertDropped(frame, DropReason.BadMagic);
    }

    [Test]
    public void WrongVersion()
    {
        byte[] frame = DataFrame(1);
        frame[FrameDescriptor.VersionOffset] = 1;   // a node of the previous wire format (16-byte message headers)
        Reseal(frame);
        AssertDropped(frame, DropReason.BadVersion);
    }

    [TestCase(0)]
    [TestCase(6)]   // 5 is Bulk
    [TestCase(255)]
    public void UnknownKind(int kind)
    {
        byte[] frame = DataFrame(1);
        frame[FrameDescriptor.KindOffset] = (byte)kind;
        Reseal(frame);
        AssertDropped(frame, DropReason.BadKind);
    }

    [Test]
    public void OtherClusterIsDroppedEvenWithItsOwnValidHmac()
    {
        var other = new ClusterCredentials("other-cluster", Key);
        AssertDropped(DataFrame(1, other), DropReason.WrongCluster);
    }

    [Test]
    public void RightClusterWrongKeyIsABadHmac()
    {
        var forged = new ClusterCredentials("dvs-test", new byte[32]);
        AssertDropped(DataFrame(2, forged), DropReason.BadHmac);
    }

    [Test]
    public void FlippedPayloadBitOrTagBitIsABadHmac()
    {
        byte[] frame = DataFrame(2);
        frame[FrameDescriptor.EntryOffset(1) + 40] ^= 1;
        AssertDropped(frame, DropReason.BadHmac);
        frame = DataFrame(2);
        frame[^1] ^= 0x80;
        AssertDropped(frame, DropReason.BadHmac);
    }

    [Test]
    public void FrameForAnotherNode()
    {
        AssertDropped(DataFrame(1, destination: NodeA), DropReason.WrongDestination);
    }

    [TestCase(7)]   // not in the cluster
    [TestCase(NodeB)] // ourselves
    [TestCase(63)]
    public void FrameFromUnknownNode(int source)
    {
        AssertDropped(DataFrame(1, source: source), DropReason.UnknownNode);
    }

    [Test]
    public void SourceNodeBeyondTheNodeMaskIsUnknown()
    {
        byte[] frame = DataFrame(1);
        BinaryPrimitives.WriteUInt16LittleEndian(frame.AsSpan(FrameDescriptor.SourceNodeOffset), 64);
        Reseal(frame);
        AssertDropped(frame, DropReason.UnknownNode);
    }

    [Test]
    public void CountAndPayloadLengthMustAgree()
    {
        byte[] frame = DataFrame(2);
        BinaryPrimitives.WriteUInt16LittleEndian(frame.AsSpan(FrameDescriptor.MessageCountOffset), 3);
        Reseal(frame);
        AssertDropped(frame, DropReason.BadLength);

        frame = DataFrame(2);
        BinaryPrimitives.WriteUInt32LittleEndian(frame.AsSpan(FrameDescriptor.PayloadLengthOffset), 0xFFFF_FFF0);
        Reseal(frame);
        AssertDropped(frame, DropReason.BadLength);
    }

    [Test]
    public void DataFrameWithoutMessagesAndAckWithMessagesAreBadLengths()
    {
        var buffer = new byte[FrameDescriptor.MinFrameLength];
        new FrameWriter(buffer).Complete(Header(FrameKind.Ack), Credentials);
        buffer[FrameDescriptor.KindOffset] = (byte)FrameKind.Data;
        Reseal(buffer);
        AssertDropped(buffer, DropReason.BadLength);

        byte[] frame = DataFrame(1);
        frame[FrameDescriptor.KindOffset] = (byte)FrameKind.Heartbeat;
        Reseal(frame);
        AssertDropped(frame, DropReason.BadLength);
    }

    [Test]
    public void MessageForADcOutOfRange()
    {
        byte[] frame = DataFrame(2);
        BinaryPrimitives.WriteUInt16LittleEndian(frame.AsSpan(FrameDescriptor.EntryOffset(1) + FrameDescriptor.MessageDcOffset),
            FrameDescriptor.MaxDcs);
        Reseal(frame);
        AssertDropped(frame, DropReason.BadMessageHeader);
    }

    [Test]
    public void ZeroSenderIncarnationIsNeverAccepted()
    {
        byte[] frame = DataFrame(1);
        BinaryPrimitives.WriteUInt64LittleEndian(frame.AsSpan(FrameDescriptor.SenderIncarnationOffset), 0);
        Reseal(frame);
        AssertDropped(frame, DropReason.StaleIncarnation);
    }

    [Test]
    public void KnownNodesCanChangeAtRunTime()
    {
        var drops = new DropCounters();
        FrameReader reader = ReaderAtB(drops);
        reader.KnownNodes = 1UL << NodeB; // only ourselves: A is forgotten
        Assert.That(reader.TryRead(DataFrame(1), out _), Is.EqualTo(DropReason.UnknownNode));
        reader.KnownNodes = KnownAB;
        Assert.That(reader.TryRead(DataFrame(1), out _), Is.EqualTo(DropReason.None));
        Assert.That(drops.ToString(), Is.EqualTo("UnknownNode=1"));
    }
}
