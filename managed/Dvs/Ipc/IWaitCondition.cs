namespace Dvs.Ipc;

/// <summary>What a waiter waits for. A struct implementing it keeps the wait loop allocation-free.</summary>
internal interface IWaitCondition
{
    /// <summary>1 when satisfied, 0 not yet, a negative DvsError when it can never be.</summary>
    int Poll();

    /// <summary>Checks (slowly) that the peer waited on is still there; Ok or the error to return.</summary>
    DvsError CheckPeer();
}
