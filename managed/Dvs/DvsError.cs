namespace Dvs;

/// <summary>
/// DVS error codes with the numbering of the original (include/com/dvs_errno.h): negative values,
/// 0 for success. Hot-path calls return these instead of throwing.
/// </summary>
public enum DvsError
{
    Ok = 0,

    // POSIX-like
    Perm = -1,
    NoEnt = -2,
    Srch = -3,
    Intr = -4,
    Io = -5,
    Again = -11,
    NoMem = -12,
    Access = -13,
    Fault = -14,
    Busy = -16,
    Exist = -17,
    Invalid = -22,
    Deadlock = -35,
    BadDest = -55,
    TimedOut = -61,
    NotConnected = -64,
    Generic = -99,

    // IPC
    Locked = -101,
    BadCall = -102,
    BadSrcDst = -103,
    CallDenied = -104,
    DeadSrcDst = -105,
    NotReady = -106,
    BadRequest = -107,
    SrcDied = -108,
    DstDied = -109,
    TrapDenied = -110,
    DontReply = -201,

    // DVS
    ErrCode = -301,
    BadNodeId = -302,
    BadDcId = -303,
    DcNotRun = -304,
    BadProc = -305,
    BadPid = -306,
    Endpoint = -307,
    NoProxy = -308,
    RmtProc = -309,
    LclProc = -310,
    NotBind = -311,
    ProxyRun = -312,
    AckDst = -313,
    AckSrc = -314,
    AckWait = -315,
    NodeBusy = -316,
    NoNode = -317,
    DvsBusy = -318,
    DvsInit = -319,
    NoDcNode = -320,
    ProcRun = -321,
    NoMsg = -322,
    DcRun = -323,
    ProcSts = -324,
    NodeFree = -325,
    DcNode = -326,
    BadProxy = -327,
    OnCopy = -328,
    Enqueued = -329,
    Overrun = -330,
    BadOwner = -331,
    Migrate = -332,
    ProxyFree = -333,
    GrpLeader = -334,
    Privileges = -335,
    BindType = -336,
    SlotUsed = -337,
    BadRange = -338,
    BadValue = -339,
    BadDir = -340,
    BadFile = -341,
    RscBusy = -342,
    NameSize = -343,
    AllocMem = -344,
    ProxyId = -345,
    ReplProc = -346,
    Align = -347,
    WokenUp = -348,
    BadTramp = -349,
    Usr2Usr = -350,
    Krn2Usr = -351,
    Usr2Krn = -352,

    // Dvs (no code of the original fits)
    /// <summary>The node host of this node stopped or died: nothing carries or reclaims here any more. Start it, then attach again.</summary>
    HostDown = -601,
    /// <summary>The node host restarted: this Node and its endpoints belong to its previous incarnation. Attach again.</summary>
    HostRestarted = -602,
    /// <summary>The call was cancelled (its CancellationToken); nothing was left half-sent.</summary>
    Canceled = -603,
    /// <summary>
    /// The service was re-created empty after the only copy of its state was lost (its node host
    /// died while it served, and no other node held it): what it answered before is not kept. Each
    /// client is told once, on its first request to the new incarnation; later requests are served.
    /// </summary>
    StateLost = -604,

    // Replication
    Primary = -401,
    NoReplica = -402,
    RestartSys = -512,
}
