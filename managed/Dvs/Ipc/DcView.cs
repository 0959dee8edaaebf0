using Dvs.Layout;

namespace Dvs.Ipc;

/// <summary>
/// Pointers into one DC of a mapped node segment, computed once from the descriptor so the hot
/// path never recomputes an offset. Valid while the mapping is referenced.
/// </summary>
internal readonly unsafe struct DcView
{
    public readonly DcDescriptor* Descriptor;
    public readonly EndpointSlot* Slots;
    private readonly byte* _rings;
    private readonly ulong* _notify;
    public readonly ulong RingStride;
    public readonly int NrTasks;
    public readonly int NrSlots;
    public readonly int NrSysProcs;
    public readonly int NotifyWords;
    public readonly uint RingCapacity;
    public readonly int DcId;
    /// <summary>The node's outbound ring to its proxy, shared by all DCs.</summary>
    public readonly EndpointRing Outbound;
    /// <summary>The proxy's doorbell.</summary>
    public readonly EndpointSlot* Proxy;
    public readonly NodeEntry* Nodes;

    public DcView(byte* segmentBase, SegmentHeader* header, int dcid)
    {
        Descriptor = (DcDescriptor*)(segmentBase + header->DcsOffset) + dcid;
        Slots = (EndpointSlot*)(segmentBase + Descriptor->SlotsOffset);
        _rings = segmentBase + Descriptor->RingsOffset;
        _notify = (ulong*)(segmentBase + Descriptor->NotifyOffset);
        RingStride = Descriptor->RingStride;
        NrTasks = Descriptor->NrTasks;
        NrSlots = Descriptor->NrSlots;
        NrSysProcs = Descriptor->NrSysProcs;
        NotifyWords = (int)Descriptor->NotifyWords;
        RingCapacity = header->RingCapacity;
        DcId = dcid;
        Proxy = (EndpointSlot*)(segmentBase + header->ProxyOffset);
        Outbound = OutboundRing(segmentBase, header);
        Nodes = (NodeEntry*)(segmentBase + header->NodesOffset);
    }

    /// <summary>Routing word of an outbound cell: destination endpoint | dcid &lt;&lt; 32.</summary>
    public ulong Route(int destination) => (uint)destination | ((ulong)(uint)DcId << 32);

    /// <summary>An outbound route that also names the source's bind count (its incarnation on this node).</summary>
    public ulong Route(int destination, uint sourceBindCount) =>
        Route(destination) | ((ulong)(sourceBindCount & Layout.ClientIncarnation.BindCountMask) << Layout.ClientIncarnation.RouteBindCountShift);

    /// <summary>The destination of an outbound route word.</summary>
    public static int RouteDestination(ulong route) => (int)(uint)route;

    /// <summary>The DC of an outbound route word.</summary>
    public static int RouteDc(ulong route) => (int)(byte)(route >> 32);

    /// <summary>Tells the proxy that the directory of this DC changed (a bind or an unbind).</summary>
    public void DirectoryChanged()
    {
        Interlocked.Increment(ref Descriptor->DirVersion);
        Doorbell.Ring(Proxy);
    }

    public EndpointSlot* Slot(int index) => Slots + index;

    /// <summary>The inbound ring of slot <paramref name="index"/>, consumed by that slot's owner.</summary>
    /// <param name="index">The slot index.</param>
    public EndpointRing InboundRing(int index) => new(Ring(index), RingCapacity, Slots + index);

    /// <summary>The bare header of slot <paramref name="index"/>'s ring (everyone uses <see cref="InboundRing"/>).</summary>
    /// <param name="index">The slot index.</param>
    private RingHeader* Ring(int index) => (RingHeader*)(_rings + (ulong)index * RingStride);

    /// <summary>The node's outbound ring (to its proxy) of a mapped segment.</summary>
    /// <param name="segmentBase">The mapping's base.</param>
    /// <param name="header">Its header.</param>
    public static EndpointRing OutboundRing(byte* segmentBase, SegmentHeader* header) =>
        new((RingHeader*)(segmentBase + header->OutboundOffset), header->OutboundCapacity,
            (EndpointSlot*)(segmentBase + header->ProxyOffset));

    public ulong* Notify(int index) => _notify + index * NotifyWords;

    /// <summary>Slot index of an endpoint number, or -1 when out of this DC's range.</summary>
    public int SlotIndexOf(int endpoint)
    {
        // Generation 0 (the common case) needs no division.
        int pnr = (uint)(endpoint + SegmentLayout.MaxTasks) < (uint)EndpointNumber.GenerationSize
            ? endpoint
            : EndpointNumber.ProcNr(endpoint);
        int index = pnr + NrTasks;
        return (uint)index < (uint)NrSlots ? index : -1;
    }
}
