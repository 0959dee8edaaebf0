using Dvs.Ipc;
using Dvs.Transport;

namespace Dvs.Hosting;

/// <summary>
/// Bulk frames: a migration's state and vcopy data travel as whole frames of raw bytes
/// (FrameKind.Bulk) in the peer's reliable session, not as 64-byte messages. Sent by the outbound thread from their own
/// batch (slots of the bulk MTU, allocated at the first bulk frame: most hosts never need it).
/// </summary>
internal sealed partial class NodeProxy
{
    private const int BulkBatchFrames = 8;
    private DatagramBatch? _bulkBatch;

    /// <summary>Outbound thread only.</summary>
    private DatagramBatch BulkBatch(ReliableSession session)
    {
        if (_bulkBatch is null || _bulkBatch.SlotSize < session.BulkMtu)
        {
            _bulkBatch = new DatagramBatch(BulkBatchFrames, session.BulkMtu);
        }
        return _bulkBatch;
    }

    /// <summary>A bulk frame from a peer (inbound thread, under its session lock).</summary>
    public bool TryDeliverBulk(ReliableSession session, in MessageHeader header, ReadOnlySpan<byte> data)
    {
        FlushRun(session);   // the messages before it, first
        if (header.CallKind == CallKindMigrateData && header.DcId < _dcs.Length && _dcs[header.DcId] is not null)
        {
            DeliverMigrationData(session.PeerNode, header, data);
        }
        else if (header.CallKind == CallKindVCopyData && header.DcId < _dcs.Length && _dcs[header.DcId] is DcView dc)
        {
            DeliverVCopyData(session, dc, header, data);
        }
        else
        {
            Count(NodeCounter.DropMalformed);
        }
        return true;
    }

    private void FlushBulk()
    {
        if (_bulkBatch is { Count: > 0 } batch)
        {
            _datagrams.Send(batch);
        }
    }
}
