using System.Buffers.Binary;
using System.Net;
using Dvs.Transport;

namespace Dvs.Tests.Hosting;

/// <summary>
/// Issue 11.23: a node writes copy data from a peer only for a copy it asked that peer for, and
/// only into the range asked for.
/// </summary>
[TestFixture]
public class VCopyGrantTests
{
    private const byte VCopyData = 21;
    private const byte VCopyDone = 22;
    private const byte VCopyRequest = 20;
    private const byte Bind = 16;

    [Test]
    public unsafe void CopyDataNobodyAskedForIsDroppedAndCountedAndWritesNothing()
    {
        using var cluster = new ForgedPeerHost("grant-");
        Node node = cluster.Node;
        ForgedPeer peer = cluster.Peer;
        using Endpoint victim = node.Bind(0, 2);
        byte[] memory = GC.AllocateArray<byte>(4096, pinned: true);

        fixed (byte* target = memory)
        {
            // Copy data into the victim's memory, as if for a copy of sequence 5; then its "done".
            byte[] data = new byte[8 + 64];
            BinaryPrimitives.WriteInt64LittleEndian(data, (long)target);
            data.AsSpan(8).Fill(0xAB);
            peer.SendBulk(new MessageHeader(0, VCopyData, 2, 0, 5), data);
            var done = new Message(0);
            done.Source = 2;
            done[0] = 1;
            done[1] = 1;
            peer.Send(new MessageHeader(0, VCopyDone, 2, 0, 5), done);
            peer.PumpUntil(() => node.GetCounter(NodeCounter.DropUnrequestedCopy) >= 1, "the unrequested data counted");
            peer.PumpUntil(() => peer.Session.FramesInFlight == 0 && peer.Session.BulkInFlight == 0, "all acknowledged");
        }
        Assert.That(memory, Is.All.EqualTo((byte)0), "nothing was written");
        Assert.That(node.GetPeerState(1), Is.EqualTo("up"));
    }

    [Test]
    public unsafe void CopyDataOutsideTheRangeAskedForIsNotWrittenAndFailsTheCopy()
    {
        using var cluster = new ForgedPeerHost("grant-");
        Node node = cluster.Node;
        ForgedPeer peer = cluster.Peer;
        using Endpoint puller = node.Bind(0, 2);
        byte[] memory = GC.AllocateArray<byte>(4096, pinned: true);
        var bind = new Message(1);   // endpoint 1 lives on node 1
        peer.Send(new MessageHeader(0, Bind, 1, 0, 0), bind);
        peer.PumpUntil(() => node.WaitForRemote(0, 1, DvsTimeout.FromMilliseconds(0)) == DvsError.Ok, "endpoint 1 known");

        fixed (byte* target = memory)
        {
            long asked = (long)target + 1024;
            // Endpoint 2 pulls 64 bytes from endpoint 1 into memory[1024..1088).
            DvsError result = DvsError.Generic;
            var call = new Thread(() => result = puller.VCopy(1, 0x1000, 2, (nint)asked, 64));
            call.Start();
            peer.PumpUntil(() => peer.Received.All.Any(r => r.Header.CallKind == VCopyRequest), "the copy request");
            MessageHeader request = peer.Received.All.First(r => r.Header.CallKind == VCopyRequest).Header;

            // The peer answers with 1 KiB before the 64 bytes asked for, then "done".
            byte[] data = new byte[8 + 1024];
            BinaryPrimitives.WriteInt64LittleEndian(data, (long)target);
            data.AsSpan(8).Fill(0xAB);
            peer.SendBulk(new MessageHeader(0, VCopyData, 2, 0, request.RequestSequence), data);
            var done = new Message(0);
            done.Source = 2;
            done[0] = 0;
            done[1] = 1;
            peer.Send(new MessageHeader(0, VCopyDone, 2, 0, request.RequestSequence), done);
            peer.PumpUntil(() => !call.IsAlive, "the copy ends");
            Assert.That(result, Is.Not.EqualTo(DvsError.Ok));
        }
        Assert.That(memory, Is.All.EqualTo((byte)0), "nothing was written");
        Assert.That(node.GetCounter(NodeCounter.DropUnrequestedCopy), Is.EqualTo(1));
    }
}
