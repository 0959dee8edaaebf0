using System.Net.Sockets;
using System.Runtime.CompilerServices;

namespace Dvs.Benchmarks.Partners;

/// <summary>
/// Moving whole 64-byte messages over a Unix stream socket, blocking or busy-polling a
/// non-blocking socket (the "peer" of FLOOR.md). The span overloads with an out SocketError
/// neither throw on EWOULDBLOCK nor allocate, so the socket path is measured, not exceptions.
/// </summary>
internal static class UdsWire
{
    internal const int MessageSize = 64;

    /// <summary>Fills <paramref name="buffer"/> from the socket; false when the peer closed it.</summary>
    internal static bool ReceiveExactly(Socket socket, Span<byte> buffer)
    {
        var done = 0;
        while (done < buffer.Length)
        {
            var n = socket.Receive(buffer[done..], SocketFlags.None, out var error);
            if (error == SocketError.WouldBlock)
            {
                continue;
            }
            if (error != SocketError.Success || n == 0)
            {
                return false;
            }
            done += n;
        }
        return true;
    }

    /// <summary>Writes all of <paramref name="buffer"/>; false when the peer closed the socket.</summary>
    internal static bool SendExactly(Socket socket, ReadOnlySpan<byte> buffer)
    {
        var done = 0;
        while (done < buffer.Length)
        {
            var n = socket.Send(buffer[done..], SocketFlags.None, out var error);
            if (error == SocketError.WouldBlock)
            {
                continue;
            }
            if (error != SocketError.Success)
            {
                return false;
            }
            done += n;
        }
        return true;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    internal static void ThrowPeerGone() => throw new InvalidOperationException("the socket peer is gone");
}
