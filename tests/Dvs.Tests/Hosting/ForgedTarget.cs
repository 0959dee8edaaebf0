using Dvs.Layout;
using Dvs.Transport;

namespace Dvs.Tests.Hosting;

/// <summary>
/// A forged peer playing a migration's target (and a sender of one-way messages): the call kinds
/// it answers, and the answers, as docs/protocol.md lists them.
/// </summary>
internal static class ForgedTarget
{
    public const int Prepare = 32;
    public const int Ready = 33;
    public const int Commit = 34;
    public const int Abort = 35;
    public const int Committed = 36;
    public const int PrepareDelta = 38;
    public const int Handover = 39;
    /// <summary>COMMITTED with this flag: "I serve now".</summary>
    public const byte ServingFlag = 2;

    /// <summary>Sends one-way message number <paramref name="n"/> from <paramref name="sender"/> to <paramref name="destination"/> (pumping while the window is full).</summary>
    public static void SendOneWay(ForgedPeer peer, int sender, int destination, int n)
    {
        var m = new Message(7) { Source = sender, [0] = n };
        var header = new MessageHeader(0, SegmentLayout.KindSend, destination, 0, 0);
        peer.PumpUntil(() => peer.Session.TrySend(header, System.Runtime.InteropServices.MemoryMarshal.AsBytes(
            new Span<Message>(ref m))) == SendStatus.Ok, "window");
    }

    /// <summary>PREPARE and PREPARE-DELTA received since <paramref name="answered"/> get READY (with the delta flag for the latter).</summary>
    public static void AnswerPrepares(ForgedPeer peer, List<(MessageHeader Header, Message Message)> received, ref int answered)
    {
        for (; answered < received.Count; answered++)
        {
            MessageHeader h = received[answered].Header;
            if (h.CallKind is Prepare or PrepareDelta)
            {
                Reply(peer, h, Ready, h.CallKind == PrepareDelta ? (byte)1 : (byte)0, DvsError.Ok);
            }
        }
    }

    /// <summary>Answers a migration message with <paramref name="kind"/> carrying <paramref name="status"/>.</summary>
    public static void Reply(ForgedPeer peer, in MessageHeader to, int kind, byte flags, DvsError status)
    {
        Message m = default;
        m.Source = to.Destination;
        m.Type = (int)status;
        peer.Send(new MessageHeader(to.DcId, (byte)kind, to.Destination, to.Epoch, 0) { Flags = flags }, m);
    }
}
