using System.Net;
using System.Net.Sockets;

namespace Dvs.Benchmarks.Net;

/// <summary>Free loopback ports for the partners (bound to port 0, then released: as the tests do).</summary>
internal static class NetPorts
{
    internal static int FreeUdp() => Free(SocketType.Dgram, ProtocolType.Udp);

    internal static int FreeTcp() => Free(SocketType.Stream, ProtocolType.Tcp);

    private static int Free(SocketType type, ProtocolType protocol)
    {
        using var s = new Socket(AddressFamily.InterNetwork, type, protocol);
        s.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)s.LocalEndPoint!).Port;
    }
}
