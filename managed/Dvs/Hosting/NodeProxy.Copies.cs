using Dvs.Hosting.Copies;
using Dvs.Ipc;
using Dvs.Layout;
using Dvs.Transport;

namespace Dvs.Hosting;

/// <summary>
/// Bulk frames: a migration's state and vcopy data travel as whole frames of raw bytes
/// (FrameKind.Bulk) in the peer's reliable session, not as 64-byte messages. Sent by the sender
/// loop from their own batch (Links.SenderLoop). And the copy service's way into the node host
/// (<see cref="ICopyRoutes"/>).
/// </summary>
internal sealed unsafe partial class NodeProxy
{
    /// <summary>
    /// Tests: copies served here pause once this many of their bytes are out (see
    /// <see cref="CopyService.PauseAt"/>).
    /// </summary>
    internal long CopyPauseAt
    {
        get => _copies.PauseAt;
        set => _copies.PauseAt = value;
    }

    bool ICopyRoutes.Post(int peer, in MessageHeader header, in Message message) => Post(peer, header, message);

    void ICopyRoutes.SendFromRing(int peer, in MessageHeader header, in Message message) => SendFromRing(peer, header, message);

    void ICopyRoutes.DeliverReply(EndpointSlot* slot, in Message reply, int sequence, bool failed) =>
        DeliverReply(slot, reply, sequence, failed);

    void ICopyRoutes.WakeSender() => WakeSender();

    /// <summary>A bulk frame from a peer (inbound thread, under its session lock).</summary>
    public bool TryDeliverBulk(ReliableSession session, in MessageHeader header, ReadOnlySpan<byte> data)
    {
        FlushRun(session);   // the messages before it, first
        if (header.CallKind == CallKind.MigrateData && header.DcId < _dcs.Length && _dcs[header.DcId] is not null)
        {
            DeliverMigrationData(session.PeerNode, header, data);
        }
        else if (header.CallKind == CallKind.VCopyData && header.DcId < _dcs.Length && _dcs[header.DcId] is DcView dc)
        {
            _copies.DeliverData(session, dc, header, data);
        }
        else
        {
            Count(NodeCounter.DropMalformed);
        }
        return true;
    }
}
