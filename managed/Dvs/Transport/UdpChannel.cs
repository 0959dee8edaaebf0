using System.Net;
using System.Net.Sockets;
using Dvs.Interop;

namespace Dvs.Transport;

/// <summary>
/// A UDP socket (IPv4) with batched I/O through the native shim: sendmmsg to send a whole batch in
/// one system call, poll + recvmmsg to sleep in the kernel until datagrams arrive and then take
/// many at once. Peers are node ids mapped to addresses with <see cref="SetPeer"/>.
/// Thread-safety: one thread may Send while another Receives; SetPeer before traffic starts.
/// </summary>
internal sealed unsafe class UdpChannel : IDatagramChannel
{
    private const int DefaultBufferBytes = 4 << 20;

    private readonly UdpSocketHandle _socket;
    private readonly uint[] _peerAddress = new uint[FrameDescriptor.MaxNodes];
    private readonly ushort[] _peerPort = new ushort[FrameDescriptor.MaxNodes];
    private ulong _peers;
    private uint[] _sendAddresses = [];
    private ushort[] _sendPorts = [];
    private uint[] _receiveAddresses = [];
    private ushort[] _receivePorts = [];
    private long _sendFailures;

    private UdpChannel(UdpSocketHandle socket, IPEndPoint local)
    {
        _socket = socket;
        LocalEndPoint = local;
    }

    /// <summary>The bound address (with the port the kernel chose when 0 was asked).</summary>
    public IPEndPoint LocalEndPoint { get; }

    /// <summary>Datagrams not sent: unknown destination node, or refused by the kernel.</summary>
    public long SendFailures => Interlocked.Read(ref _sendFailures);

    /// <summary>Binds a UDP socket. Throws <see cref="IOException"/> on failure (off the hot path).</summary>
    /// <param name="local">IPv4 address and port (0: any free port).</param>
    /// <param name="bufferBytes">SO_RCVBUF / SO_SNDBUF (the kernel caps them at rmem_max / wmem_max).</param>
    public static UdpChannel Open(IPEndPoint local, int bufferBytes = DefaultBufferBytes)
    {
        int r = NativeUdp.Open(ToHost(local.Address), (ushort)local.Port, bufferBytes, bufferBytes,
            out int fd, out ushort port);
        if (r != 0)
        {
            throw new IOException(Shim.LastErrorMessage());
        }
        return new UdpChannel(new UdpSocketHandle(fd), new IPEndPoint(local.Address, port));
    }

    /// <summary>Datagrams for <paramref name="node"/> go to <paramref name="address"/>; datagrams
    /// from it are tagged with the node id on receive. Not thread-safe with Send/Receive.</summary>
    public void SetPeer(int node, IPEndPoint address)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(node);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(node, FrameDescriptor.MaxNodes);
        _peerAddress[node] = ToHost(address.Address);
        _peerPort[node] = (ushort)address.Port;
        _peers |= 1UL << node;
    }

    /// <inheritdoc/>
    public int Send(DatagramBatch batch)
    {
        int count = batch.Count;
        if (count == 0)
        {
            return 0;
        }
        EnsureCapacity(ref _sendAddresses, ref _sendPorts, batch.Capacity);
        int[] peers = batch.Peers;
        int sent = 0;
        fixed (byte* buffer = batch.Buffer)
        fixed (int* lengths = batch.Lengths)
        fixed (uint* addresses = _sendAddresses)
        fixed (ushort* ports = _sendPorts)
        {
            // Runs of datagrams for known nodes go out in one sendmmsg each (normally one run).
            int start = 0;
            while (start < count)
            {
                int end = start;
                while (end < count && IsPeer(peers[end]))
                {
                    addresses[end] = _peerAddress[peers[end]];
                    ports[end] = _peerPort[peers[end]];
                    end++;
                }
                if (end > start)
                {
                    int r = NativeUdp.SendBatch(_socket, buffer + (long)start * batch.SlotSize, (uint)batch.SlotSize,
                        end - start, lengths + start, addresses + start, ports + start);
                    if (r < 0)
                    {
                        ThrowSocketError();
                    }
                    sent += r;
                }
                if (end < count)
                {
                    end++; // an unknown node: skip it
                }
                start = end;
            }
        }
        if (sent < count)
        {
            Interlocked.Add(ref _sendFailures, count - sent);
        }
        return sent;
    }

    /// <inheritdoc/>
    public int Receive(DatagramBatch batch, int timeoutMilliseconds)
    {
        batch.Clear();
        EnsureCapacity(ref _receiveAddresses, ref _receivePorts, batch.Capacity);
        int r;
        fixed (byte* buffer = batch.Buffer)
        fixed (int* lengths = batch.Lengths)
        fixed (uint* addresses = _receiveAddresses)
        fixed (ushort* ports = _receivePorts)
        {
            r = NativeUdp.ReceiveBatch(_socket, buffer, (uint)batch.SlotSize, batch.Capacity, lengths, addresses,
                ports, timeoutMilliseconds);
        }
        if (r < 0)
        {
            ThrowSocketError();
        }
        int[] peers = batch.Peers;
        for (int i = 0; i < r; i++)
        {
            peers[i] = FindPeer(_receiveAddresses[i], _receivePorts[i]);
        }
        batch.SetReceived(r);
        return r;
    }

    public void Dispose() => _socket.Dispose();

    private bool IsPeer(int node) => (uint)node < FrameDescriptor.MaxNodes && (_peers & (1UL << node)) != 0;

    private int FindPeer(uint address, ushort port)
    {
        ulong peers = _peers;
        while (peers != 0)
        {
            int node = System.Numerics.BitOperations.TrailingZeroCount(peers);
            peers &= peers - 1;
            if (_peerAddress[node] == address && _peerPort[node] == port)
            {
                return node;
            }
        }
        return -1;
    }

    // Grows once to the largest batch used; steady state allocates nothing.
    private static void EnsureCapacity(ref uint[] addresses, ref ushort[] ports, int capacity)
    {
        if (addresses.Length < capacity)
        {
            addresses = new uint[capacity];
            ports = new ushort[capacity];
        }
    }

    private static uint ToHost(IPAddress address)
    {
        if (address.AddressFamily != AddressFamily.InterNetwork)
        {
            throw new ArgumentException("the UDP channel is IPv4 only", nameof(address));
        }
        Span<byte> b = stackalloc byte[4];
        address.TryWriteBytes(b, out _);
        return System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(b);
    }

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private void ThrowSocketError()
    {
        string message = Shim.LastErrorMessage();
        ObjectDisposedException.ThrowIf(_socket.IsClosed, this);
        throw new IOException($"UDP {LocalEndPoint}: {message}");
    }
}
