namespace Dvs.Layout;

/// <summary>
/// The reply hand-off word of a slot: state (bits 56..63) | request sequence (32..55) | the
/// endpoint the reply must come from (0..31). One 64-bit CAS moves it, so a reply to an abandoned
/// request (timed out, then a new request to the same server) can never land on the newer one.
/// </summary>
internal static class ReplyWord
{
    public const uint Idle = 0;
    public const uint Awaiting = 1;
    public const uint Writing = 2;
    public const uint Done = 3;
    public const uint PeerDied = 4;
    public const uint PeerDown = 5;
    /// <summary>The call failed on the remote node; the DvsError is in the reply message's Type.</summary>
    public const uint Failed = 6;

    public const int SequenceMask = 0xFFFFFF;

    public static ulong Make(uint state, int sequence, int from) =>
        ((ulong)state << 56) | ((ulong)(uint)(sequence & SequenceMask) << 32) | (uint)from;

    public static uint State(ulong word) => (uint)(word >> 56);
    public static int Sequence(ulong word) => (int)((word >> 32) & SequenceMask);
    public static int From(ulong word) => (int)(uint)word;
}
