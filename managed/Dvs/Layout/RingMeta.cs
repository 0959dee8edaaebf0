namespace Dvs.Layout;

/// <summary>
/// The meta word of a ring cell: the call kind (<see cref="SegmentLayout.KindSend"/>, ...) in bits
/// 0..7, the request sequence of a SendRec or of a reply in bits 8..31 (DVS_KIND_MASK in
/// native/include/dvs/dvs.h). Packed and unpacked only here.
/// </summary>
internal static class RingMeta
{
    private const int SequenceShift = 8;

    /// <summary>The meta word of a call of <paramref name="kind"/> for request <paramref name="sequence"/> (0: none).</summary>
    /// <param name="kind">The call kind.</param>
    /// <param name="sequence">The request sequence.</param>
    public static int Pack(int kind, int sequence) => kind | (sequence << SequenceShift);

    /// <summary>The call kind.</summary>
    /// <param name="meta">A meta word.</param>
    public static int Kind(int meta) => meta & SegmentLayout.KindMask;

    /// <summary>The request sequence.</summary>
    /// <param name="meta">A meta word.</param>
    public static int RequestSequence(int meta) => meta >>> SequenceShift;

    /// <summary>True for a request (a SendRec), which a reply answers.</summary>
    /// <param name="meta">A meta word.</param>
    public static bool IsRequest(int meta) => Kind(meta) == SegmentLayout.KindSendRec;
}
