using Dvs.Transport;

namespace Dvs.Fuzz;

/// <summary>
/// Target "frame": the input is one datagram as it comes off the network, given to
/// <see cref="FrameReader"/>; a frame it accepts is decoded further (its messages or bulk data).
/// Random bytes rarely carry a valid HMAC: this target covers the checks before it (see
/// <see cref="FrameMacTarget"/> for what lies behind it).
/// </summary>
internal static class FrameTarget
{
    private static readonly FrameReader Reader = new(FuzzCluster.Credentials, FuzzCluster.LocalNode,
        1UL << FuzzCluster.PeerNode, FrameDescriptor.MaxFrameLength, new DropCounters());

    public static void Run(ReadOnlySpan<byte> input)
    {
        if (Reader.TryRead(input, out FrameHeader header) != DropReason.None)
        {
            return;
        }
        if (header.Kind == FrameKind.Bulk)
        {
            FrameReader.ReadBulk(input, header, out _);
            return;
        }
        for (int i = 0; i < header.MessageCount; i++)
        {
            FrameReader.ReadMessage(input, i, out _);
        }
    }
}
