namespace Dvs.Layout;

/// <summary>
/// Which binding of an endpoint sent a request. A client endpoint that is unbound and bound again
/// (another process, or its node restarted) starts its request sequences over; the exactly-once
/// table therefore keys a request by (client endpoint, incarnation, sequence), so a rebound
/// client's first request is executed instead of being answered with its predecessor's cached reply.
/// </summary>
/// <remarks>
/// The value is the owning node's incarnation (low 32 bits: nanoseconds of the segment's creation)
/// above the slot's bind count (low 24 bits). Inside a node the whole value rides in the ring
/// cell's aux word; on the way to the proxy the aux word is the route, so only the bind count
/// travels there (<see cref="RouteBindCountShift"/>) and the sending proxy adds its own incarnation.
/// </remarks>
internal static class ClientIncarnation
{
    public const uint BindCountMask = 0xFFFFFF;

    /// <summary>Bits 40..63 of an outbound route word: the source's bind count.</summary>
    public const int RouteBindCountShift = 40;

    public static ulong Make(ulong nodeIncarnation, uint bindCount) =>
        ((ulong)(uint)nodeIncarnation << 32) | (bindCount & BindCountMask);

    /// <summary>The bind count part of a client incarnation.</summary>
    public static uint BindCount(ulong incarnation) => (uint)incarnation & BindCountMask;

    /// <summary>The node incarnation part (its low 32 bits) of a client incarnation.</summary>
    public static uint NodePart(ulong incarnation) => (uint)(incarnation >> 32);

    public static uint BindCountOfRoute(ulong route) => (uint)(route >> RouteBindCountShift) & BindCountMask;
}
