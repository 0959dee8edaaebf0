namespace Dvs.Hosting;

/// <summary>
/// One request on a node host's control channel: a JSON object on one line, e.g.
/// <c>{"command":"migrate","dc":0,"endpoint":10,"to":2}</c> (see docs/protocol.md, "Control channel").
/// Not thread-safe (a plain data object).
/// </summary>
public sealed class ControlRequest
{
    /// <summary>One of <see cref="ControlCommand"/>.</summary>
    public string Command { get; set; } = "";

    /// <summary>The DC (dcid) of the endpoint, for the migrate commands.</summary>
    public int? Dc { get; set; }

    /// <summary>The endpoint, for the migrate commands.</summary>
    public int? Endpoint { get; set; }

    /// <summary>The target node id, for migrate and migrate-start.</summary>
    public int? To { get; set; }
}
