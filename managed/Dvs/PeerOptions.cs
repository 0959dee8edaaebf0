using System.Net;

namespace Dvs;

/// <summary>A peer node: its id, name and UDP address.</summary>
public sealed class PeerOptions
{
    public int NodeId { get; set; }

    public string Name { get; set; } = "";

    public required IPEndPoint Address { get; set; }
}
