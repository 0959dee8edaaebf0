using Dvs.Layout;

namespace Dvs.Ipc;

/// <summary>
/// Ring cells claimed by a producer that died before publishing them (killed between its claim
/// and its publication): the ring's consumer takes cells in order and would wait behind such a
/// cell forever. The node host's reaper unblocks them (dvs_ring_unblock: only cells whose claimer
/// is known dead; a slow live producer is never overtaken) and counts them.
/// </summary>
internal static unsafe class StuckClaims
{
    /// <summary>
    /// Unblocks the dead producers' cells of every ring of the node: the outbound ring and each
    /// bound endpoint's inbound ring. Returns how many cells. Reaper thread; off the hot path.
    /// </summary>
    public static int UnblockAll(NodeSegment segment)
    {
        SegmentHeader* header = segment.Header;
        int count = (int)DcView.OutboundRing(segment.Base, header).UnblockDeadProducers();
        for (int dcid = 0; dcid < SegmentLayout.MaxDcs; dcid++)
        {
            if (segment.TryGetDc(dcid, out DcView dc) != DvsError.Ok)
            {
                continue;
            }
            for (int i = 0; i < dc.NrSlots; i++)
            {
                // A ring being bound or freed is reset by its binder: not touched here.
                uint state = Volatile.Read(ref dc.Slot(i)->State);
                if (state != SegmentLayout.SlotFree && state != SegmentLayout.SlotBinding)
                {
                    count += (int)dc.InboundRing(i).UnblockDeadProducers();
                }
            }
        }
        return count;
    }

    /// <summary>
    /// Test hook: claims a cell of the outbound ring (<paramref name="endpoint"/> &lt; 0) or of
    /// <paramref name="endpoint"/>'s inbound ring exactly as an offer does, and never publishes it:
    /// what a producer killed between the two leaves behind. False when the ring is full.
    /// </summary>
    internal static bool ClaimWithoutPublishing(Node node, int dcid, int endpoint)
    {
        if (node.Segment.TryGetDc(dcid, out DcView dc) != DvsError.Ok)
        {
            throw new DvsException(DvsError.DcNotRun, $"DC {dcid} does not run on node '{node.Name}'");
        }
        if (endpoint < 0)
        {
            return dc.Outbound.ClaimWithoutPublishing();
        }
        int index = dc.SlotIndexOf(endpoint);
        if (index < 0)
        {
            throw new DvsException(DvsError.Endpoint, $"endpoint {endpoint} is out of DC {dcid}'s range");
        }
        return dc.InboundRing(index).ClaimWithoutPublishing();
    }
}
