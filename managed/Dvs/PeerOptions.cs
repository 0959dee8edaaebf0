using System.Net;
using System.Net.NetworkInformation;

namespace Dvs;

/// <summary>A peer node: its id, name and address (IP and port for UDP / TCP, MAC for raw Ethernet).</summary>
public sealed class PeerOptions
{
    public int NodeId { get; set; }

    public string Name { get; set; } = "";

    /// <summary>Where the peer's host listens (UDP, TCP); unused with raw transport.</summary>
    public IPEndPoint Address { get; set; } = new(IPAddress.None, 0);

    /// <summary>The MAC address of the peer's interface (raw transport); unused otherwise.</summary>
    public PhysicalAddress? MacAddress { get; set; }
}
