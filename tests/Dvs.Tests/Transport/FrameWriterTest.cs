using System.Buffers.Binary;
using Dvs.Transport;
using NUnit.Framework;
using static Dvs.Tests.Transport.TransportTestKit;

namespace Dvs.Tests.Transport;

public sealed class FrameWriterTest
{
    [Test]
    public void DataFrameRoundTripsEveryHeaderFieldAndMessage()
    {
        byte[] frame = DataFrame(5);
        var drops = new DropCounters();

        DropReason reason = ReaderAtB(drops).TryRead(frame, out FrameHeader h);

        Assert.That(reason, Is.EqualTo(DropReason.None));
        FrameHeader expected = Header(FrameKind.Data);
        Assert.Multiple(() =>
        {
            Assert.That(h.Kind, Is.EqualTo(FrameKind.Data));
            Assert.That(h.ClusterId, Is.EqualTo(Credentials.ClusterId));
            Assert.That(h.SourceNode, Is.EqualTo(NodeA));
            Assert.That(h.DestinationNode, Is.EqualTo(NodeB));
            Assert.That(h.SenderIncarnation, Is.EqualTo(expected.SenderIncarnation));
            Assert.That(h.ReceiverIncarnation, Is.EqualTo(expected.ReceiverIncarnation));
            Assert.That(h.Sequence, Is.EqualTo(expected.Sequence));
            Assert.That(h.CumulativeAck, Is.EqualTo(expected.CumulativeAck));
            Assert.That(h.SelectiveAcks, Is.EqualTo(expected.SelectiveAcks));
            Assert.That(h.ReceiveWindow, Is.EqualTo(expected.ReceiveWindow));
            Assert.That(h.MessageCount, Is.EqualTo(5));
            Assert.That(h.PayloadLength, Is.EqualTo(5 * FrameDescriptor.EntryLength));
            Assert.That(drops.Total, Is.Zero);
        });
        for (int i = 0; i < 5; i++)
        {
            ReadOnlySpan<byte> m = FrameReader.ReadMessage(frame, i, out MessageHeader mh);
            Assert.That((mh.DcId, mh.CallKind, mh.Flags, mh.Destination, mh.Epoch, mh.RequestSequence),
                Is.EqualTo(((ushort)i, (byte)2, (byte)0, 1000 + i, (uint)i, (uint)(77 + i))));
            Assert.That(m.ToArray(), Is.EqualTo(Message(i)));
        }
    }

    [TestCase((int)FrameKind.Ack)]
    [TestCase((int)FrameKind.Heartbeat)]
    [TestCase((int)FrameKind.Hello)]
    public void ControlFrameIsHeaderAndHmacOnly(int kindValue)
    {
        var kind = (FrameKind)kindValue;
        var buffer = new byte[FrameDescriptor.DefaultMtu];
        int n = new FrameWriter(buffer).Complete(Header(kind), Credentials);

        Assert.That(n, Is.EqualTo(FrameDescriptor.MinFrameLength));
        Assert.That(ReaderAtB().TryRead(buffer.AsSpan(0, n), out FrameHeader h), Is.EqualTo(DropReason.None));
        Assert.That(h.Kind, Is.EqualTo(kind));
    }

    [TestCase(FrameDescriptor.DefaultMtu)]
    [TestCase(9000)]
    [TestCase(FrameDescriptor.MaxFrameLength)]
    public void WriterFillsTheMtuAndNoMore(int mtu)
    {
        var buffer = new byte[mtu];
        var writer = new FrameWriter(buffer);
        var mh = new MessageHeader(0, 1, 7, 0, 0);
        int appended = 0;
        while (writer.TryAppend(mh, Message(appended)))
        {
            appended++;
        }
        int n = writer.Complete(Header(FrameKind.Data), Credentials);

        Assert.That(appended, Is.EqualTo(FrameDescriptor.MessagesPerFrame(mtu)));
        Assert.That(n, Is.LessThanOrEqualTo(mtu));
        Assert.That(n + FrameDescriptor.EntryLength, Is.GreaterThan(mtu), "one more message would not fit");
        var reader = new FrameReader(Credentials, NodeB, KnownAB, mtu, new DropCounters());
        Assert.That(reader.TryRead(buffer.AsSpan(0, n), out FrameHeader h), Is.EqualTo(DropReason.None));
        Assert.That(h.MessageCount, Is.EqualTo(appended));
    }

    [Test]
    public void HeaderOffsetsAreTheDocumentedOnes()
    {
        byte[] frame = DataFrame(1);
        Assert.Multiple(() =>
        {
            Assert.That(BinaryPrimitives.ReadUInt32LittleEndian(frame), Is.EqualTo(0x46535644u), "\"DVSF\"");
            Assert.That(System.Text.Encoding.ASCII.GetString(frame, 0, 4), Is.EqualTo("DVSF"));
            Assert.That(frame[4], Is.EqualTo(3), "version");
            Assert.That(frame[5], Is.EqualTo((byte)FrameKind.Data));
            Assert.That(BinaryPrimitives.ReadUInt16LittleEndian(frame.AsSpan(6)), Is.EqualTo(1), "count");
            Assert.That(BinaryPrimitives.ReadUInt16LittleEndian(frame.AsSpan(12)), Is.EqualTo(NodeA));
            Assert.That(BinaryPrimitives.ReadUInt16LittleEndian(frame.AsSpan(14)), Is.EqualTo(NodeB));
            Assert.That(BinaryPrimitives.ReadUInt32LittleEndian(frame.AsSpan(56)), Is.EqualTo(88u), "payload");
            Assert.That(frame.Length, Is.EqualTo(64 + 88 + 16));
            Assert.That(FrameDescriptor.MessagesPerFrame(FrameDescriptor.DefaultMtu), Is.EqualTo(15));
        });
    }

    [Test]
    public void TheSourceIncarnationTravelsInTheEntryHeader()
    {
        var entry = new byte[FrameDescriptor.EntryLength];
        var header = new MessageHeader(3, 2, 77, 4, 9, sourceIncarnation: 0x1122334455667788);
        FrameWriter.EncodeEntry(entry, header, new byte[FrameDescriptor.MessageLength]);
        FrameReader.ReadEntry(entry, out MessageHeader read);
        Assert.Multiple(() =>
        {
            Assert.That(BinaryPrimitives.ReadUInt64LittleEndian(entry.AsSpan(16)), Is.EqualTo(0x1122334455667788UL));
            Assert.That(read.SourceIncarnation, Is.EqualTo(0x1122334455667788UL));
            Assert.That(read.RequestSequence, Is.EqualTo(9u));
        });
    }

    [Test]
    public void MisuseIsRefusedOffTheHotPath()
    {
        var buffer = new byte[FrameDescriptor.DefaultMtu];
        Assert.Throws<InvalidOperationException>(() => new FrameWriter(buffer).Complete(Header(FrameKind.Data), Credentials));
        Assert.Throws<ArgumentException>(() =>
        {
            var w = new FrameWriter(buffer);
            w.TryAppend(new MessageHeader(), new byte[63]);
        });
        Assert.Throws<ArgumentException>(() => new FrameWriter(new byte[FrameDescriptor.MinFrameLength - 1]));
    }

    [Test]
    public void TagIsTheTruncatedHmacSha256OfTheFrameOnEveryThread()
    {
        byte[] data = DataFrame(3);
        byte[] expected = System.Security.Cryptography.HMACSHA256.HashData(Key, data)[..FrameDescriptor.HmacLength];
        var tags = new byte[4][];
        Parallel.For(0, 4, i =>
        {
            var tag = new byte[FrameDescriptor.HmacLength];
            for (int k = 0; k < 100; k++)
            {
                Credentials.ComputeTag(data, tag); // the state resets after each use
            }
            tags[i] = tag;
        });
        Assert.That(tags, Is.All.EqualTo(expected));
        Assert.That(Credentials.VerifyTag(data, expected), Is.True);
        expected[0] ^= 1;
        Assert.That(Credentials.VerifyTag(data, expected), Is.False);
    }

    [Test]
    public void ClusterIdIsAStableHashOfTheName()
    {
        Assert.That(ClusterCredentials.ComputeClusterId("dvs"), Is.EqualTo(ClusterCredentials.ComputeClusterId("dvs")));
        Assert.That(ClusterCredentials.ComputeClusterId("dvs"), Is.Not.EqualTo(ClusterCredentials.ComputeClusterId("dvs2")));
        Assert.Throws<ArgumentException>(() => _ = new ClusterCredentials("dvs", new byte[15]));
    }
}
