using System.Net.Sockets;
using System.Text;

namespace Dvs.Hosting;

/// <summary>
/// One connection of the control channel, either end: UTF-8 lines, each one JSON document, with a
/// bound on a line's length so a peer cannot make the other side buffer without end. Owns the
/// socket. One reader and one writer thread at most; blocking.
/// </summary>
internal sealed class ControlConnection : IDisposable
{
    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
    private readonly Socket _socket;
    private readonly byte[] _buffer = new byte[4096];
    private readonly MemoryStream _line = new();
    private int _start;
    private int _end;

    public ControlConnection(Socket socket) => _socket = socket;

    /// <summary>The next line without its '\n'; null at the end of the stream.</summary>
    /// <exception cref="InvalidDataException">The line is longer than <paramref name="maxBytes"/> or not UTF-8.</exception>
    /// <exception cref="SocketException">The connection failed, or the receive timeout passed.</exception>
    public string? ReadLine(int maxBytes)
    {
        _line.SetLength(0);
        while (true)
        {
            if (_start == _end)
            {
                int n = _socket.Receive(_buffer);
                if (n == 0)
                {
                    if (_line.Length > 0)
                    {
                        throw new InvalidDataException("the connection ended inside a line");
                    }
                    return null;
                }
                _start = 0;
                _end = n;
            }
            int newline = Array.IndexOf(_buffer, (byte)'\n', _start, _end - _start);
            int take = (newline < 0 ? _end : newline) - _start;
            if (_line.Length + take > maxBytes)
            {
                throw new InvalidDataException($"a line longer than {maxBytes} bytes");
            }
            _line.Write(_buffer, _start, take);
            _start += take;
            if (newline >= 0)
            {
                _start++;
                try
                {
                    return Utf8.GetString(_line.GetBuffer(), 0, (int)_line.Length).TrimEnd('\r');
                }
                catch (DecoderFallbackException)
                {
                    throw new InvalidDataException("a line that is not UTF-8");
                }
            }
        }
    }

    /// <summary>Sends <paramref name="line"/> (which must not contain '\n') and a '\n'.</summary>
    public void WriteLine(string line)
    {
        byte[] bytes = new byte[Utf8.GetByteCount(line) + 1];
        Utf8.GetBytes(line, bytes);
        bytes[^1] = (byte)'\n';
        int sent = 0;
        while (sent < bytes.Length)
        {
            sent += _socket.Send(bytes.AsSpan(sent));
        }
    }

    /// <summary>How long a read may wait; zero waits forever.</summary>
    public TimeSpan ReceiveTimeout
    {
        set => _socket.ReceiveTimeout = (int)Math.Min(int.MaxValue, value.TotalMilliseconds);
    }

    /// <summary>Ends the connection both ways, waking a thread blocked reading it.</summary>
    public void Shutdown()
    {
        try
        {
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // already closed
        }
    }

    public void Dispose()
    {
        _socket.Dispose();
        _line.Dispose();
    }
}
