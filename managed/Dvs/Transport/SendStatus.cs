namespace Dvs.Transport;

/// <summary>Outcome of offering a message to a session (hot path: a status, not an exception).
/// The node host maps it to a DvsError.</summary>
internal enum SendStatus
{
    Ok = 0,
    /// <summary>The send window is full: retry after the peer acknowledges (the caller waits or
    /// gets EDVSAGAIN). Memory never grows beyond the window.</summary>
    BackPressured,
    /// <summary>The peer was declared down after a silence; the call should fail.</summary>
    PeerDown,
    /// <summary>The message is not 64 bytes or its header is out of range.</summary>
    Invalid,
}
