// Longer than 500 lines: the listener, the authenticated handshake, stream framing and the
// reconnection of one channel, which share the per-peer connection table.
using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Dvs.Transport;

/// <summary>
/// The datagram channel over TCP, for networks that drop or rate-limit UDP. Each frame travels
/// as a 4-byte little-endian length and the frame. Every node connects to each peer it sends to
/// (one connection per direction), so frames name their sender as with UDP, and the reliable
/// session on top stays the same: a connection that breaks loses what it held, the session
/// retransmits over the next one.
/// </summary>
/// <remarks>
/// Sending never blocks: sockets are non-blocking, a frame the kernel does not take at once waits
/// in a per-peer buffer, and a frame that does not fit there is dropped and counted (the session's
/// window bounds how much is ever outstanding). A peer without a connection is connected to in the
/// background; frames for it are dropped until then. Receive waits in poll (Socket.Select) on the
/// listener and the accepted connections. Thread-safety: one thread may Send while another
/// Receives; SetPeer before traffic starts.
/// <para>With a <see cref="TcpAuthentication"/> (a node host's channel), an accepted connection
/// gets its frame buffers only once its first frame authenticated it as a configured peer (see
/// there); at most <see cref="MaxPendingConnections"/> wait for that, one authenticated
/// connection per peer is kept (the newest), and its frames are tagged with the peer's node.
/// Refused connections are counted (issue 11.23).</para>
/// </remarks>
internal sealed class TcpChannel : IDatagramChannel
{
    private const int PrefixLength = 4;
    private const int OutputBufferBytes = 1 << 20;
    private const long ReconnectIntervalMs = 100;

    /// <summary>Accepted connections not yet authenticated, at most (a channel with authentication).</summary>
    public const int MaxPendingConnections = 16;

    private readonly Socket _listener;
    private readonly TcpAuthentication? _authentication;
    private readonly FrameReader? _authenticator;
    private readonly IPAddress?[] _peerAddress = new IPAddress?[FrameDescriptor.MaxNodes];
    private long _refusedConnections;
    private readonly Outbound?[] _outbound = new Outbound?[FrameDescriptor.MaxNodes];
    private readonly List<Inbound> _inbound = new();
    private readonly List<Socket> _readable = new();
    private int _nextInbound;
    private long _sendFailures;
    private long _brokenConnections;
    private bool _disposed;

    private TcpChannel(Socket listener, TcpAuthentication? authentication)
    {
        _listener = listener;
        LocalEndPoint = (IPEndPoint)listener.LocalEndPoint!;
        _authentication = authentication;
        if (authentication is not null)
        {
            // Its own counters: the first frame is checked again by the node host's reader.
            _authenticator = new FrameReader(authentication.Credentials, authentication.LocalNode, 0,
                authentication.MaxFirstFrame, new DropCounters());
        }
    }

    /// <summary>The listening address (with the port the kernel chose when 0 was asked).</summary>
    public IPEndPoint LocalEndPoint { get; }

    /// <summary>Frames not sent: no connection yet, output buffer full, or connection broken.</summary>
    public long SendFailures => Interlocked.Read(ref _sendFailures);

    /// <summary>Connections closed because they broke or carried an impossible frame length.</summary>
    public long BrokenConnections => Interlocked.Read(ref _brokenConnections);

    /// <summary>With authentication, frames are tagged with the node their connection
    /// authenticated as; without, with -1.</summary>
    public bool NamesSenders => _authentication is not null;

    /// <summary>Accepted connections closed before authentication: over the cap, too slow, or a
    /// first frame that failed (a channel with authentication).</summary>
    public long RefusedConnections => Interlocked.Read(ref _refusedConnections);

    /// <summary>Accepted connections currently open.</summary>
    public int InboundConnections => _inbound.Count;

    /// <summary>Listens on <paramref name="local"/>. Throws <see cref="DvsException"/> when the
    /// address cannot be bound (off the hot path).</summary>
    public static TcpChannel Open(IPEndPoint local, TcpAuthentication? authentication = null)
    {
        var listener = new Socket(local.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            listener.Bind(local);
            listener.Listen(64);
            listener.Blocking = false;
            return new TcpChannel(listener, authentication);
        }
        catch (SocketException e)
        {
            listener.Dispose();
            throw new DvsException(DvsError.Generic, $"tcp listen {local}: {e.Message}");
        }
    }

    /// <summary>Frames for <paramref name="node"/> go to a connection to <paramref name="address"/>.
    /// Not thread-safe with Send.</summary>
    public void SetPeer(int node, IPEndPoint address)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(node);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(node, FrameDescriptor.MaxNodes);
        _outbound[node]?.Close();
        _outbound[node] = new Outbound(address);
        _peerAddress[node] = address.Address;
        if (_authenticator is not null)
        {
            _authenticator.KnownNodes |= 1UL << node;
        }
    }

    /// <inheritdoc/>
    public int Send(DatagramBatch batch)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        int sent = 0;
        for (int i = 0; i < batch.Count; i++)
        {
            int node = batch.Peer(i);
            Outbound? peer = (uint)node < FrameDescriptor.MaxNodes ? _outbound[node] : null;
            if (peer is not null && peer.TryQueue(batch[i]))
            {
                sent++;
            }
        }
        foreach (Outbound? peer in _outbound)
        {
            if (peer is not null && !peer.Flush())
            {
                Interlocked.Increment(ref _brokenConnections);
            }
        }
        if (sent < batch.Count)
        {
            Interlocked.Add(ref _sendFailures, batch.Count - sent);
        }
        return sent;
    }

    /// <inheritdoc/>
    public int Receive(DatagramBatch batch, int timeoutMilliseconds)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        batch.Clear();
        if (TakeBuffered(batch) > 0)
        {
            return batch.Count;
        }
        if (!Poll(timeoutMilliseconds < 0 ? -1 : (int)Math.Min(timeoutMilliseconds * 1000L, int.MaxValue)))
        {
            return 0;
        }
        foreach (Socket s in _readable)
        {
            if (ReferenceEquals(s, _listener))
            {
                Accept();
                continue;
            }
            for (int i = 0; i < _inbound.Count; i++)
            {
                if (ReferenceEquals(_inbound[i].Socket, s))
                {
                    _inbound[i].Fill();
                    break;
                }
            }
        }
        TakeBuffered(batch);
        return batch.Count;
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        _listener.Dispose();
        foreach (Inbound c in _inbound)
        {
            c.Socket.Dispose();
        }
        _inbound.Clear();
        foreach (Outbound? o in _outbound)
        {
            o?.Close();
        }
    }

    // Waits until the listener or a connection is readable; the readable ones are in _readable.
    private bool Poll(int microseconds)
    {
        _readable.Clear();
        _readable.Add(_listener);
        foreach (Inbound c in _inbound)
        {
            _readable.Add(c.Socket);
        }
        Socket.Select(_readable, null, null, microseconds);
        return _readable.Count > 0;
    }

    private void Accept()
    {
        while (true)
        {
            Socket s;
            try
            {
                s = _listener.Accept();
            }
            catch (SocketException)
            {
                return; // nothing more to accept (would block), or the client gave up
            }
            s.Blocking = false;
            s.NoDelay = true;
            if (_authentication is null)
            {
                _inbound.Add(new Inbound(s, FrameDescriptor.MaxFrameLength));
                continue;
            }
            if (_inbound.Count(c => c.Node < 0) >= MaxPendingConnections)
            {
                Refuse(s);
                continue;
            }
            _inbound.Add(new Inbound(s, _authentication.MaxFirstFrame) { AcceptedAt = Environment.TickCount64 });
        }
    }

    // Moves complete frames from the connections' buffers into the batch, starting with another
    // connection each time so that one busy peer does not starve the others; then closes the
    // connections that ended or carried garbage.
    private int TakeBuffered(DatagramBatch batch)
    {
        if (_authentication is not null)
        {
            AuthenticatePending();
        }
        int count = _inbound.Count;
        for (int k = 0; k < count && !batch.IsFull; k++)
        {
            Inbound c = _inbound[(_nextInbound + k) % count];
            if (_authentication is null || c.Node >= 0)
            {
                c.Take(batch);
            }
        }
        _nextInbound = count == 0 ? 0 : (_nextInbound + 1) % count;
        for (int i = _inbound.Count - 1; i >= 0; i--)
        {
            Inbound c = _inbound[i];
            if (c.Ended && !c.HasFrame)
            {
                if (c.Broken)
                {
                    Interlocked.Increment(ref _brokenConnections);
                }
                c.Socket.Dispose();
                _inbound.RemoveAt(i);
            }
        }
        return batch.Count;
    }

    private void Refuse(Socket s)
    {
        s.Dispose();
        Interlocked.Increment(ref _refusedConnections);
    }

    // Admits the connections whose first frame arrived and passed; closes the ones whose frame
    // failed, is too long, comes from another address than its node's, or is late.
    private void AuthenticatePending()
    {
        long now = Environment.TickCount64;
        for (int i = _inbound.Count - 1; i >= 0; i--)
        {
            Inbound c = _inbound[i];
            if (c.Node >= 0)
            {
                continue;
            }
            int node = -1;
            bool refuse;
            if (c.FirstFrameLength is int length)
            {
                refuse = length > _authentication!.MaxFirstFrame
                    || _authenticator!.TryRead(c.FirstFrame, out FrameHeader header) != DropReason.None
                    || !FromAddressOf(c.Socket, node = header.SourceNode);
            }
            else
            {
                refuse = c.Ended || now - c.AcceptedAt > (long)_authentication!.Timeout.TotalMilliseconds;
            }
            if (refuse)
            {
                Refuse(c.Socket);
                _inbound.RemoveAt(i);
                continue;
            }
            if (node >= 0)
            {
                // One connection per peer: a reconnect replaces the old one (its frames are the
                // session's to retransmit).
                for (int j = _inbound.Count - 1; j >= 0; j--)
                {
                    if (_inbound[j].Node == node)
                    {
                        _inbound[j].Socket.Dispose();
                        _inbound.RemoveAt(j);
                        if (j < i)
                        {
                            i--;
                        }
                    }
                }
                c.Admit(node);
            }
        }
    }

    private bool FromAddressOf(Socket s, int node)
    {
        IPAddress? expected = (uint)node < FrameDescriptor.MaxNodes ? _peerAddress[node] : null;
        try
        {
            return expected is not null && s.RemoteEndPoint is IPEndPoint remote
                && (remote.Address.Equals(expected) || remote.Address.IsIPv4MappedToIPv6 && remote.Address.MapToIPv4().Equals(expected));
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>An accepted connection and the bytes read from it that are not yet frames.</summary>
    private sealed class Inbound(Socket socket, int maxFrame)
    {
        // Until the connection is authenticated: room for its first frame only.
        private byte[] _buffer = new byte[maxFrame + PrefixLength];
        private int _start;
        private int _end;

        public Socket Socket { get; } = socket;

        /// <summary>The node this connection authenticated as; -1 before (or without authentication).</summary>
        public int Node { get; private set; } = -1;

        public long AcceptedAt { get; init; }

        /// <summary>The announced length of the first buffered frame once it is complete (or
        /// announced longer than the buffer holds); null while it is incomplete.</summary>
        public int? FirstFrameLength
        {
            get
            {
                if (_end - _start < PrefixLength)
                {
                    return null;
                }
                uint length = BinaryPrimitives.ReadUInt32LittleEndian(_buffer.AsSpan(_start));
                if (length > _buffer.Length - PrefixLength)
                {
                    return int.MaxValue;
                }
                return _end - _start - PrefixLength >= length ? (int)length : null;
            }
        }

        public ReadOnlySpan<byte> FirstFrame =>
            _buffer.AsSpan(_start + PrefixLength, (int)BinaryPrimitives.ReadUInt32LittleEndian(_buffer.AsSpan(_start)));

        /// <summary>Authenticated as <paramref name="node"/>: now the full buffers.</summary>
        public void Admit(int node)
        {
            var full = new byte[2 * (FrameDescriptor.MaxFrameLength + PrefixLength)];
            _buffer.AsSpan(_start, _end - _start).CopyTo(full);
            _end -= _start;
            _start = 0;
            _buffer = full;
            Node = node;
        }

        /// <summary>Closed by the peer, failed, or garbage: close once its frames are taken.</summary>
        public bool Ended { get; private set; }

        /// <summary>Failed or carried garbage (counted), rather than closed in order.</summary>
        public bool Broken { get; private set; }

        /// <summary>A complete frame is buffered.</summary>
        public bool HasFrame => !Broken && _end - _start >= PrefixLength
            && _end - _start - PrefixLength >= BinaryPrimitives.ReadUInt32LittleEndian(_buffer.AsSpan(_start));

        /// <summary>Reads what the socket has without blocking.</summary>
        public void Fill()
        {
            if (Ended)
            {
                return;
            }
            if (_start > 0 && _buffer.Length - _end < FrameDescriptor.MaxFrameLength + PrefixLength)
            {
                _buffer.AsSpan(_start, _end - _start).CopyTo(_buffer);
                _end -= _start;
                _start = 0;
            }
            if (_end == _buffer.Length)
            {
                return; // complete frames wait to be taken first
            }
            int n = Socket.Receive(_buffer.AsSpan(_end), SocketFlags.None, out SocketError error);
            if (error == SocketError.WouldBlock)
            {
                return;
            }
            if (error != SocketError.Success || n == 0)
            {
                Ended = true;
                Broken = error != SocketError.Success;
                return;
            }
            _end += n;
        }

        /// <summary>Adds the complete frames to the batch. An impossible length (garbage or an
        /// attack) ends the connection.</summary>
        public void Take(DatagramBatch batch)
        {
            while (!Broken && !batch.IsFull && _end - _start >= PrefixLength)
            {
                uint length = BinaryPrimitives.ReadUInt32LittleEndian(_buffer.AsSpan(_start));
                if (length > FrameDescriptor.MaxFrameLength)
                {
                    Ended = Broken = true;
                    break;
                }
                if (_end - _start - PrefixLength < length)
                {
                    break;
                }
                // Longer than the slot: keep the slot's worth, so the reader drops it as too long.
                int copy = (int)Math.Min(length, (uint)batch.SlotSize);
                batch.TryAdd(Node, _buffer.AsSpan(_start + PrefixLength, copy));
                _start += PrefixLength + (int)length;
            }
            if (_start == _end)
            {
                _start = _end = 0;
            }
        }
    }

    /// <summary>The connection to one peer and the bytes it has not taken yet.</summary>
    private sealed class Outbound(IPEndPoint address)
    {
        private readonly byte[] _buffer = new byte[OutputBufferBytes];
        private Socket? _socket;
        private bool _connecting;
        private long _lastAttempt = -ReconnectIntervalMs; // TickCount64 starts at boot: the first attempt is immediate
        private int _start;
        private int _end;

        /// <summary>Appends a frame to the output; false (dropped) when not connected or full.</summary>
        public bool TryQueue(ReadOnlySpan<byte> frame)
        {
            if (!Connected())
            {
                return false;
            }
            if (_start > 0 && _buffer.Length - _end < PrefixLength + frame.Length)
            {
                _buffer.AsSpan(_start, _end - _start).CopyTo(_buffer);
                _end -= _start;
                _start = 0;
            }
            if (_buffer.Length - _end < PrefixLength + frame.Length)
            {
                return false;
            }
            BinaryPrimitives.WriteUInt32LittleEndian(_buffer.AsSpan(_end), (uint)frame.Length);
            frame.CopyTo(_buffer.AsSpan(_end + PrefixLength));
            _end += PrefixLength + frame.Length;
            return true;
        }

        /// <summary>Writes what the kernel takes without blocking; false when the connection broke
        /// (what it held is lost; the next frame reconnects).</summary>
        public bool Flush()
        {
            while (_socket is not null && !_connecting && _start < _end)
            {
                int n = _socket.Send(_buffer.AsSpan(_start, _end - _start), SocketFlags.None, out SocketError error);
                if (error == SocketError.WouldBlock)
                {
                    return true;
                }
                if (error != SocketError.Success)
                {
                    Close();
                    return false;
                }
                _start += n;
            }
            if (_start == _end)
            {
                _start = _end = 0;
            }
            return true;
        }

        public void Close()
        {
            _socket?.Dispose();
            _socket = null;
            _connecting = false;
            _start = _end = 0;
        }

        // Starts a non-blocking connect when there is none (at most every ReconnectIntervalMs) and
        // tells whether the connection is usable now.
        private bool Connected()
        {
            if (_socket is null)
            {
                long now = Environment.TickCount64;
                if (now - _lastAttempt < ReconnectIntervalMs)
                {
                    return false;
                }
                _lastAttempt = now;
                var s = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp)
                {
                    Blocking = false,
                    NoDelay = true,
                };
                try
                {
                    s.Connect(address);
                    _connecting = false;
                }
                catch (SocketException e) when (e.SocketErrorCode is SocketError.WouldBlock or SocketError.InProgress)
                {
                    _connecting = true;
                }
                catch (SocketException)
                {
                    s.Dispose();
                    return false;
                }
                _socket = s;
            }
            if (_connecting)
            {
                // Writable means the connect finished: check whether it succeeded.
                if (!_socket.Poll(0, SelectMode.SelectWrite))
                {
                    if (_socket.Poll(0, SelectMode.SelectError))
                    {
                        Close();
                    }
                    return false;
                }
                if (_socket.GetSocketOption(SocketOptionLevel.Socket, SocketOptionName.Error) is int err && err != 0)
                {
                    Close();
                    return false;
                }
                _connecting = false;
            }
            return true;
        }
    }
}
