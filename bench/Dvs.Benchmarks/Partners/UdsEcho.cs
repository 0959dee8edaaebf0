using System.Net.Sockets;
using Dvs.Benchmarks.Floor;

namespace Dvs.Benchmarks.Partners;

/// <summary>
/// Partner mode `--echo uds &lt;path&gt; &lt;cpu&gt; poll|block`: listens on a Unix stream socket,
/// accepts the benchmark and sends every 64-byte message back, busy-polling or blocking.
/// </summary>
internal static class UdsEcho
{
    internal static int Run(string path, int cpu, bool busyPoll)
    {
        FloorInterop.PinCurrentThread(cpu);
        File.Delete(path);
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(path));
        listener.Listen(1);
        PartnerMode.SignalReady();
        using var connection = listener.Accept();
        File.Delete(path);
        connection.Blocking = !busyPoll;
        Span<byte> message = stackalloc byte[UdsWire.MessageSize];
        while (UdsWire.ReceiveExactly(connection, message) && UdsWire.SendExactly(connection, message))
        {
        }
        return 0;
    }
}
