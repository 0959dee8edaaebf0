namespace Dvs.Transport;

/// <summary>What a session knows about its peer node.</summary>
internal enum PeerState
{
    /// <summary>No frame received yet: its incarnation is unknown; hellos are sent.</summary>
    Unknown = 0,
    /// <summary>Heard from within the configured silence.</summary>
    Up,
    /// <summary>Silent for longer than SessionOptions.PeerDownAfter; sends fail with PeerDown.</summary>
    Down,
}
