using System.Runtime.InteropServices;
using Dvs.Ipc;
using Dvs.Services;

namespace Dvs.Tests.Services;

/// <summary>The target side of a pre-copy: a snapshot plus the replayed log equals the original.</summary>
[TestFixture]
public class PrecopyReplayTests
{
    [Test]
    public void ASnapshotPlusTheReplayedLogHasTheStateAndTheCachedRepliesOfTheOriginal()
    {
        var original = new KeyValueService { Ballast = 1000 };
        for (int i = 0; i < 10; i++)
        {
            original.Execute(new Message(KeyValueService.Increment) { [0] = i % 3 });
        }
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        ((IMigratableService)original).Snapshot(buffer);
        Assert.That(buffer.WrittenSpan.ToArray(), Is.EqualTo(original.Snapshot()), "the buffered snapshot is the same bytes");

        // Served after the snapshot: logged with their clients, incarnations and sequences.
        var log = new List<(int Client, ulong Incarnation, int Sequence, Message Request, Message Reply)>();
        for (int i = 0; i < 7; i++)
        {
            var request = new Message(i % 2 == 0 ? KeyValueService.Increment : KeyValueService.Put) { [0] = i % 4, [1] = 100 + i };
            log.Add((200 + i % 3, 9UL + (ulong)(i % 3), 50 + i, request, original.Execute(request)));
        }
        Message[] requests = log.Select(l => l.Request).ToArray();
        Message[] heldMessages = [new Message(KeyValueService.Get) { [0] = 1 }];
        var delta = new MigrationDelta
        {
            LogClients = log.Select(l => l.Client).ToArray(),
            LogIncarnations = log.Select(l => l.Incarnation).ToArray(),
            LogSequences = log.Select(l => l.Sequence).ToArray(),
            LogRequests = MemoryMarshal.AsBytes(requests.AsSpan()).ToArray(),
            Held = MemoryMarshal.AsBytes(heldMessages.AsSpan()).ToArray(),
            HeldMeta = [3 | (77 << 8)],
            HeldIncarnations = [5],
        };
        byte[] wire = MemoryPack.MemoryPackSerializer.Serialize(delta);

        var target = new KeyValueService();
        target.Restore(buffer.WrittenSpan);
        var table = new ExactlyOnceTable();
        var held = new List<HeldMessage>();
        int replayed = ServiceHost.Replay(MemoryPack.MemoryPackSerializer.Deserialize<MigrationDelta>(wire)!, target, table, held);

        Assert.That(replayed, Is.EqualTo(7));
        Assert.That(target.Executed, Is.EqualTo(original.Executed));
        Assert.That(target.Snapshot(), Is.EqualTo(original.Snapshot()), "the same state");
        foreach (var entry in log.GroupBy(l => l.Client).Select(g => g.Last()))
        {
            Assert.That(table.TryGetReply(entry.Client, entry.Incarnation, entry.Sequence, out Message cached), Is.True,
                $"client {entry.Client}'s latest request is answered from the table, not executed again");
            Assert.That(Bytes(cached), Is.EqualTo(Bytes(entry.Reply)));
        }
        Assert.That(held.Select(h => (Bytes(h.Message), h.Meta, h.Incarnation)),
            Is.EqualTo(new[] { (Bytes(heldMessages[0]), 3 | (77 << 8), 5UL) }), "held requests follow, with their meta");
    }

    private static byte[] Bytes(Message m) => MemoryMarshal.AsBytes(new ReadOnlySpan<Message>(in m)).ToArray();

    [Test]
    public void ADeltaWhoseColumnsDisagreeIsRefused()
    {
        var delta = new MigrationDelta { LogClients = [1], LogIncarnations = [], LogSequences = [1], LogRequests = new byte[64] };
        Assert.That(() => ServiceHost.Replay(delta, new KeyValueService(), new ExactlyOnceTable(), new List<HeldMessage>()),
            Throws.TypeOf<DvsException>());
    }
}
