namespace Dvs.Layout;

/// <summary>Constants of the node segment layout; the values of native/include/dvs/dvs.h.</summary>
internal static class SegmentLayout
{
    public const ulong Magic = 0x31474553535644UL;
    public const uint Version = 2;
    public const int MaxDcs = 32;
    public const int MaxNodes = 32;
    public const int MaxTasks = 35;
    public const int MaxSlots = 4096;

    public const uint SlotFree = 0;
    public const uint SlotLocal = 1;
    public const uint SlotRemote = 2;
    public const uint SlotMigrating = 3;
    public const uint SlotBackup = 4;
    public const uint SlotBinding = 5;

    public const int KindSend = 1;
    public const int KindSendRec = 2;
    public const int KindReply = 3;
    public const int KindNotify = 4;
    public const int KindVCopy = 5;
    /// <summary>
    /// A reply that fails the caller's SendRec with the error in its Type (the service said so,
    /// e.g. StateLost); the same number as the wire's reply-error call kind, so the node host
    /// ships it unchanged. Managed only: the C shim never sees it.
    /// </summary>
    public const int KindReplyFailed = 18;

    public const uint SegmentReady = 1;
    /// <summary>The host stopped cleanly (its name is unlinked).</summary>
    public const uint SegmentShutDown = 2;
    /// <summary>A process found the host dead: this mapping is stale (written by whoever noticed first).</summary>
    public const uint SegmentHostGone = 3;
    /// <summary>ProxyPid of a host whose proxy failed (a thread of it died): remote calls fail with NoProxy.</summary>
    public const int ProxyFailed = -1;

    public const uint NodeUnknown = 0;
    public const uint NodeUp = 1;
    public const uint NodeDown = 2;
    public const uint NodeSelf = 3;

    public const int Counters = 64;
    public const int KindMask = 0xff;
}
