using System.Runtime.InteropServices;

namespace Dvs.Layout;

/// <summary>
/// Mirror of dvs_slot_t: the endpoint descriptor of one slot of a DC. Four cache lines grouped by
/// writer: identity (bind/unbind), the owner's doorbell (producers), reply hand-off and counters,
/// and the reply message.
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = 256)]
internal unsafe struct EndpointSlot
{
    [FieldOffset(0)] public int Endpoint;
    [FieldOffset(4)] public uint State;
    [FieldOffset(8)] public int OwnerPid;
    [FieldOffset(12)] public int OwnerNode;
    [FieldOffset(16)] public uint Epoch;
    [FieldOffset(20)] public uint Flags;
    [FieldOffset(24)] public ulong OwnerStartTime;
    [FieldOffset(32)] public fixed byte Name[16];
    [FieldOffset(48)] public uint BindCount;
    [FieldOffset(52)] public int PNr;
    /// <summary>Local vcopies reading or writing this endpoint's memory right now; a migration starts only at 0.</summary>
    [FieldOffset(56)] public uint Copies;
    [FieldOffset(64)] public uint WakeSeq;
    [FieldOffset(68)] public uint Sleeping;
    [FieldOffset(72)] public ulong NotifySummary;
    [FieldOffset(80)] public uint WakePending;
    /// <summary>1: the owner waits for <see cref="HoldFor"/> only, its set-aside queue full; other local senders hold back.</summary>
    [FieldOffset(84)] public uint Hold;
    /// <summary>The source the owner waits for while it holds; <see cref="EndpointNumber.Any"/>: requests pass.</summary>
    [FieldOffset(88)] public int HoldFor;
    [FieldOffset(128)] public ulong ReplyWord;
    [FieldOffset(136)] public ulong Sent;
    [FieldOffset(144)] public ulong Received;
    [FieldOffset(152)] public ulong Replies;
    [FieldOffset(192)] public Message Reply;
}
