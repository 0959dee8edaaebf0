using System.Buffers.Binary;
using System.Text;
using Dvs.Configuration;
using Dvs.Transport;

namespace Dvs.Fuzz;

/// <summary>
/// Writes the seed corpus (`Dvs.Fuzz seeds DIR`): a few small valid inputs per target, from which
/// afl-fuzz mutates. The committed corpus (tests/Dvs.Fuzz/corpus) was made with it; rerun it when
/// a format changes.
/// </summary>
internal static class SeedCorpus
{
    private const byte KindSend = 1, KindSendRec = 3;   // SegmentLayout.KindSend / KindSendRec
    private const byte CallKindBind = 16, CallKindUnbind = 17, CallKindReplyError = 18;
    private const byte CallKindVCopyDone = 22, CallKindMigrateOffer = 30, CallKindMigrateCommit = 34;

    public static void Write(string directory)
    {
        foreach ((string target, string name, byte[] bytes) in All())
        {
            string dir = Path.Combine(directory, target);
            Directory.CreateDirectory(dir);
            File.WriteAllBytes(Path.Combine(dir, name), bytes);
        }
    }

    private static IEnumerable<(string Target, string Name, byte[] Bytes)> All()
    {
        // One datagram each, as the frame target reads them. A stream starts at sequence 0.
        byte[] send = Data(0, (new MessageHeader(0, KindSend, FuzzCluster.Service, 0, 0, 7), 1));
        byte[] sendRec = Data(0, (new MessageHeader(0, KindSendRec, FuzzCluster.Service, 0, 1, 7), 2));
        byte[] control = Data(0,
            (new MessageHeader(0, CallKindBind, 12, 1, 0), 1),
            (new MessageHeader(0, CallKindUnbind, 12, 1, 0), 0),
            (new MessageHeader(0, CallKindReplyError, FuzzCluster.Plain, 0, 3), -4));
        byte[] migration = Data(0,
            (new MessageHeader(0, CallKindMigrateOffer, 13, 1, 0), 0),
            (new MessageHeader(0, CallKindMigrateCommit, 13, 1, 0), 0),
            (new MessageHeader(0, CallKindVCopyDone, FuzzCluster.Plain, 0, 4), 0));
        byte[] ack = Bare(FrameKind.Ack, 0, 1);
        byte[] heartbeat = Bare(FrameKind.Heartbeat, 0, 1);
        byte[] hello = Bare(FrameKind.Hello, 0, 0);
        byte[] bulk = Bulk(1, new MessageHeader(0, CallKindMigrateOffer, 13, 1, 0), "state bytes"u8);
        yield return ("frame", "send", send);
        yield return ("frame", "sendrec", sendRec);
        yield return ("frame", "control", control);
        yield return ("frame", "ack", ack);
        yield return ("frame", "heartbeat", heartbeat);
        yield return ("frame", "hello", hello);
        yield return ("frame", "bulk", bulk);

        // Streams of frames (each with a 2-byte length) for the frame-mac target.
        yield return ("frame-mac", "hello-then-send", Stream(hello, send));
        yield return ("frame-mac", "sendrec", Stream(sendRec));
        yield return ("frame-mac", "control", Stream(control, ack));
        yield return ("frame-mac", "migration", Stream(migration, heartbeat));
        yield return ("frame-mac", "bulk", Stream(Data(0, (new MessageHeader(0, KindSend, FuzzCluster.Plain, 0, 0, 7), 5)),
            Bulk(1, new MessageHeader(0, CallKindMigrateOffer, 13, 1, 0), "state bytes"u8)));

        // Node ini files.
        string key = "0123456789abcdef0123456789abcdef";
        IReadOnlyList<NodeConfig> nodes = LocalCluster.Create(2, 7100, key, "fuzz");
        yield return ("ini", "node0.ini", Encoding.UTF8.GetBytes(nodes[0].ToIni(LocalCluster.KeyFileName)));
        var withService = new NodeConfig
        {
            Node = nodes[1].Node, Cluster = nodes[1].Cluster, Peers = nodes[1].Peers, Dcs = nodes[1].Dcs,
            Services = [new ServiceConfig { Name = "kv1", Dc = nodes[1].Dcs[0].Name, Endpoint = 10, Kind = "kv" }],
        };
        yield return ("ini", "node1-service.ini", Encoding.UTF8.GetBytes(withService.ToIni(LocalCluster.KeyFileName)));

        // Control socket requests, one JSON object per line.
        yield return ("control", "status", "{\"command\":\"status\"}\n"u8.ToArray());
        yield return ("control", "migrate", "{\"command\":\"migrate\",\"dc\":0,\"endpoint\":10,\"to\":1}\n{\"command\":\"migrate-commit\",\"dc\":0,\"endpoint\":10}\n"u8.ToArray());
        yield return ("control", "bad", "{\"command\":\"nope\"}\n\n{\"dc\":\"x\"}\r\n"u8.ToArray());
    }

    private static byte[] Data(ulong sequence, params (MessageHeader Header, int Type)[] messages)
    {
        var frame = new byte[FrameDescriptor.FrameLength(messages.Length)];
        var writer = new FrameWriter(frame);
        foreach ((MessageHeader header, int type) in messages)
        {
            var message = new byte[FrameDescriptor.MessageLength];
            BinaryPrimitives.WriteInt32LittleEndian(message, 100);          // source
            BinaryPrimitives.WriteInt32LittleEndian(message.AsSpan(4), type);
            writer.TryAppend(header, message);
        }
        return frame[..writer.Complete(Header(FrameKind.Data, sequence, 0), FuzzCluster.Credentials)];
    }

    private static byte[] Bare(FrameKind kind, ulong sequence, ulong ack)
    {
        var frame = new byte[FrameDescriptor.MinFrameLength];
        var writer = new FrameWriter(frame);
        return frame[..writer.Complete(Header(kind, sequence, ack), FuzzCluster.Credentials)];
    }

    private static byte[] Bulk(ulong sequence, MessageHeader header, ReadOnlySpan<byte> data)
    {
        var frame = new byte[FrameDescriptor.MinFrameLength + FrameDescriptor.MessageHeaderLength + data.Length];
        FrameWriter.EncodeMessageHeader(frame.AsSpan(FrameDescriptor.HeaderLength), header);
        data.CopyTo(frame.AsSpan(FrameDescriptor.HeaderLength + FrameDescriptor.MessageHeaderLength));
        return frame[..FrameWriter.CompleteBulk(frame, Header(FrameKind.Bulk, sequence, 0), data.Length, FuzzCluster.Credentials)];
    }

    private static FrameHeader Header(FrameKind kind, ulong sequence, ulong ack) => new()
    {
        Kind = kind,
        SourceNode = FuzzCluster.PeerNode,
        DestinationNode = FuzzCluster.LocalNode,
        SenderIncarnation = 5,
        // The frame-mac harness replaces it with the node's; zero would mean "unknown".
        ReceiverIncarnation = kind == FrameKind.Hello ? 0UL : 9,
        Sequence = sequence,
        CumulativeAck = ack,
        ReceiveWindow = 64,
    };

    private static byte[] Stream(params byte[][] frames)
    {
        using var s = new MemoryStream();
        Span<byte> length = stackalloc byte[2];
        foreach (byte[] f in frames)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(length, (ushort)f.Length);
            s.Write(length);
            s.Write(f);
        }
        return s.ToArray();
    }
}
