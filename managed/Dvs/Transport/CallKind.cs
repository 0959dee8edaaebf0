using Dvs.Layout;

namespace Dvs.Transport;

/// <summary>
/// Every call kind a message header carries between node hosts, in one place (docs/protocol.md
/// describes each). 1-5 are the endpoints' own (as in the rings); the rest are the node hosts'.
/// Numbers are wire: never reuse one (CallKindTests checks they are distinct).
/// </summary>
internal static class CallKind
{
    public const byte Send = SegmentLayout.KindSend;
    public const byte SendRec = SegmentLayout.KindSendRec;
    public const byte Reply = SegmentLayout.KindReply;
    public const byte Notify = SegmentLayout.KindNotify;
    public const byte VCopy = SegmentLayout.KindVCopy;

    // Directory (DVS rmtbind): header epoch = the endpoint's epoch, word Type = the owner.
    public const byte Bind = 16;
    public const byte Unbind = 17;
    /// <summary>A reply that fails the caller's SendRec with the DvsError in its Type (as the ring kind).</summary>
    public const byte ReplyError = SegmentLayout.KindReplyFailed;
    /// <summary>Ends a peer's full announcement of its endpoints of one DC.</summary>
    public const byte DirectorySynced = 19;
    /// <summary>To a restarted peer, in its sync: "you served this endpoint at this epoch before you restarted".</summary>
    public const byte OwnerStatus = 25;
    /// <summary>To a restarted peer, in its sync: "I hold a current copy of your migration of this endpoint" (epoch = the copy's, word 0 = migration id).</summary>
    public const byte CopyStatus = 26;

    // Remote vcopy.
    public const byte VCopyRequest = 20;
    public const byte VCopyData = 21;
    public const byte VCopyDone = 22;
    public const byte VCopyComplete = 23;
    public const byte VCopyOpen = 24;

    // Migration: header epoch = the migration id.
    public const byte MigrateOffer = 30;
    public const byte MigrateData = 31;
    public const byte MigratePrepare = 32;
    /// <summary>PREPARED in the model: type = DvsError; flags <see cref="DeltaStage"/>: answers PREPARE-DELTA.</summary>
    public const byte MigrateReady = 33;
    public const byte MigrateCommit = 34;
    public const byte MigrateAbort = 35;
    /// <summary>Type = DvsError; flags 0: the confirmation (the commit point), <see cref="ServingFlag"/>: the target serves.</summary>
    public const byte MigrateCommitted = 36;
    /// <summary>A pre-copy's delta follows (word 0: its length), as bulk frames with flags <see cref="DeltaStage"/>.</summary>
    public const byte MigrateDelta = 37;
    /// <summary>Apply the delta now and answer READY (flags <see cref="DeltaStage"/>): migr_start of a pre-copy.</summary>
    public const byte MigratePrepareDelta = 38;
    /// <summary>The role is the target's: serve, held requests first (after COMMITTED reached the source).</summary>
    public const byte MigrateHandover = 39;

    /// <summary>
    /// FENCE: the node in word 0 sends to this endpoint's new owner (epoch in word 1) directly
    /// from now on; it travels the old path (old owner, its stub) behind what that node sent there.
    /// </summary>
    public const byte Fence = 40;

    /// <summary>Header flags of DATA and READY: the pre-copy's delta stage.</summary>
    public const byte DeltaStage = 1;
    /// <summary>Header flags of COMMITTED: the target serves now (it bound the endpoint on HANDOVER).</summary>
    public const byte ServingFlag = 2;
}
