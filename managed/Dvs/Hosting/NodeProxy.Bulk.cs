using Dvs.Ipc;
using Dvs.Transport;

namespace Dvs.Hosting;

/// <summary>
/// Bulk frames: a migration's state and vcopy data travel as whole frames of raw bytes
/// (FrameKind.Bulk) in the peer's reliable session, not as 64-byte messages. Sent by the sender
/// loop from their own batch (Links.SenderLoop).
/// </summary>
internal sealed partial class NodeProxy
{
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
            DeliverVCopyData(session, dc, header, data);
        }
        else
        {
            Count(NodeCounter.DropMalformed);
        }
        return true;
    }
}
