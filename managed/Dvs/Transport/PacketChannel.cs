using System.Net;
using System.Net.NetworkInformation;
using Dvs.Interop;

namespace Dvs.Transport;

/// <summary>
/// The datagram channel over raw Ethernet: an AF_PACKET socket on one interface that sends and
/// receives frames of EtherType <see cref="EtherType"/> (IEEE local experimental), batched through
/// the native shim like <see cref="UdpChannel"/> (sendmmsg; poll + recvmmsg). No IP, no UDP: peers
/// are MAC addresses on the same Ethernet segment, and a frame must fit the interface's MTU.
/// Needs CAP_NET_RAW.
/// Thread-safety: one thread may Send while another Receives; SetPeer before traffic starts.
/// </summary>
internal sealed unsafe class PacketChannel : IDatagramChannel
{
    /// <summary>IEEE 802 "local experimental EtherType 1": free for private protocols on a LAN.</summary>
    public const ushort EtherType = 0x88B5;

    private const int DefaultBufferBytes = 4 << 20;

    private readonly PacketSocketHandle _socket;
    private readonly int _interfaceIndex;
    private readonly ulong[] _peerMac = new ulong[FrameDescriptor.MaxNodes];
    private ulong _peers;
    private ulong[] _sendMacs = [];
    private ulong[] _receiveMacs = [];
    private long _sendFailures;
    private long _oversized;

    private PacketChannel(PacketSocketHandle socket, string interfaceName, int interfaceIndex, int mtu, ulong mac)
    {
        _socket = socket;
        InterfaceName = interfaceName;
        _interfaceIndex = interfaceIndex;
        InterfaceMtu = mtu;
        MacAddress = ToPhysical(mac);
    }

    /// <summary>The interface the socket is bound to.</summary>
    public string InterfaceName { get; }

    /// <summary>The interface's MTU when opened: the largest frame this channel sends.</summary>
    public int InterfaceMtu { get; }

    /// <summary>This interface's MAC address: what peers configure to reach this node.</summary>
    public PhysicalAddress MacAddress { get; }

    /// <summary>Frames not sent: unknown destination node, longer than the MTU, or refused by the kernel.</summary>
    public long SendFailures => Interlocked.Read(ref _sendFailures);

    /// <summary>Frames not sent because they were longer than <see cref="InterfaceMtu"/> (also in
    /// <see cref="SendFailures"/>).</summary>
    public long OversizedFrames => Interlocked.Read(ref _oversized);

    /// <summary>
    /// Opens the socket on <paramref name="interfaceName"/>. Blocking, off the hot path. Throws
    /// <see cref="DvsException"/> with a message that names the interface and what to do when the
    /// interface does not exist (<see cref="DvsError.BadValue"/>), the process lacks CAP_NET_RAW
    /// (<see cref="DvsError.Perm"/>), or the interface's MTU is smaller than <paramref name="mtu"/>
    /// (<see cref="DvsError.BadValue"/>).
    /// </summary>
    /// <param name="interfaceName">e.g. <c>eth0</c>.</param>
    /// <param name="mtu">The largest frame the caller will send (<see cref="NetworkOptions.Mtu"/>).</param>
    /// <param name="bufferBytes">SO_RCVBUF / SO_SNDBUF.</param>
    public static PacketChannel Open(string interfaceName, int mtu, int bufferBytes = DefaultBufferBytes)
    {
        ArgumentNullException.ThrowIfNull(interfaceName);
        int r = NativePacket.Open(interfaceName, EtherType, bufferBytes, bufferBytes,
            out int fd, out int index, out int interfaceMtu, out ulong mac);
        if (r != 0)
        {
            throw OpenError(interfaceName, Shim.ErrCode(), Shim.LastErrorMessage());
        }
        var socket = new PacketSocketHandle(fd);
        if (mtu > interfaceMtu)
        {
            socket.Dispose();
            throw new DvsException(DvsError.BadValue,
                $"raw transport on interface {interfaceName}: frames of up to {mtu} bytes do not fit its MTU of "
                + $"{interfaceMtu} bytes; raise the interface's MTU (ip link set {interfaceName} mtu {mtu}) or lower "
                + $"the frame size (NetworkOptions.Mtu) to {interfaceMtu}");
        }
        return new PacketChannel(socket, interfaceName, index, interfaceMtu, mac);
    }

    /// <summary>Raw Ethernet has no IP endpoints: use <see cref="SetPeer(int, PhysicalAddress)"/>.</summary>
    /// <exception cref="NotSupportedException">Always.</exception>
    public void SetPeer(int node, IPEndPoint address) =>
        throw new NotSupportedException("the raw Ethernet channel addresses peers by MAC address, not IP");

    /// <summary>Frames for <paramref name="node"/> go to <paramref name="mac"/>; frames from that MAC
    /// are tagged with the node id on receive. Not thread-safe with Send/Receive.</summary>
    public void SetPeer(int node, PhysicalAddress mac)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(node);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(node, FrameDescriptor.MaxNodes);
        byte[] bytes = mac.GetAddressBytes();
        if (bytes.Length != 6)
        {
            throw new ArgumentException($"'{mac}' is not a 6-byte Ethernet address", nameof(mac));
        }
        ulong value = 0;
        foreach (byte b in bytes)
        {
            value = (value << 8) | b;
        }
        _peerMac[node] = value;
        _peers |= 1UL << node;
    }

    /// <summary>By the peer's <see cref="PeerOptions.MacAddress"/>.</summary>
    /// <exception cref="DvsException">The peer has no MAC address.</exception>
    public void SetPeer(PeerOptions peer) => SetPeer(peer.NodeId, peer.MacAddress
        ?? throw new DvsException(DvsError.BadValue,
            $"peer {peer.Name} (node {peer.NodeId}) has no MAC address, which raw transport needs"));

    /// <inheritdoc/>
    /// <remarks>Throws <see cref="DvsException"/> only for a broken socket (transient refusals and
    /// frames longer than the MTU are counted in <see cref="SendFailures"/>), ObjectDisposedException
    /// after Dispose.</remarks>
    public int Send(DatagramBatch batch)
    {
        int count = batch.Count;
        if (count == 0)
        {
            return 0;
        }
        if (_sendMacs.Length < batch.Capacity)
        {
            _sendMacs = new ulong[batch.Capacity]; // once, to the largest batch used
        }
        int[] peers = batch.Peers;
        int[] lengthsArray = batch.Lengths;
        int sent = 0;
        fixed (byte* buffer = batch.Buffer)
        fixed (int* lengths = lengthsArray)
        fixed (ulong* macs = _sendMacs)
        {
            // Runs of sendable frames go out in one sendmmsg each (normally one run).
            int start = 0;
            while (start < count)
            {
                int end = start;
                while (end < count && IsPeer(peers[end]) && lengthsArray[end] <= InterfaceMtu)
                {
                    macs[end] = _peerMac[peers[end]];
                    end++;
                }
                if (end > start)
                {
                    int r = NativePacket.SendBatch(_socket, _interfaceIndex, EtherType,
                        buffer + (long)start * batch.SlotSize, (uint)batch.SlotSize, end - start, lengths + start, macs + start);
                    if (r < 0)
                    {
                        ThrowSocketError();
                    }
                    sent += r;
                }
                if (end < count)
                {
                    if (lengthsArray[end] > InterfaceMtu)
                    {
                        Interlocked.Increment(ref _oversized);
                    }
                    end++; // an unknown node or a frame too long: skip it
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
    /// <remarks>Throws <see cref="DvsException"/> only for a broken socket, ObjectDisposedException
    /// after Dispose.</remarks>
    public int Receive(DatagramBatch batch, int timeoutMilliseconds)
    {
        batch.Clear();
        if (_receiveMacs.Length < batch.Capacity)
        {
            _receiveMacs = new ulong[batch.Capacity];
        }
        int r;
        fixed (byte* buffer = batch.Buffer)
        fixed (int* lengths = batch.Lengths)
        fixed (ulong* macs = _receiveMacs)
        {
            r = NativePacket.ReceiveBatch(_socket, buffer, (uint)batch.SlotSize, batch.Capacity, lengths, macs,
                timeoutMilliseconds);
        }
        if (r < 0)
        {
            ThrowSocketError();
        }
        int[] peers = batch.Peers;
        for (int i = 0; i < r; i++)
        {
            peers[i] = FindPeer(_receiveMacs[i]);
        }
        batch.SetReceived(r);
        return r;
    }

    public void Dispose() => _socket.Dispose();

    private bool IsPeer(int node) => (uint)node < FrameDescriptor.MaxNodes && (_peers & (1UL << node)) != 0;

    private int FindPeer(ulong mac)
    {
        ulong peers = _peers;
        while (peers != 0)
        {
            int node = System.Numerics.BitOperations.TrailingZeroCount(peers);
            peers &= peers - 1;
            if (_peerMac[node] == mac)
            {
                return node;
            }
        }
        return -1;
    }

    private static PhysicalAddress ToPhysical(ulong mac)
    {
        var bytes = new byte[6];
        for (int i = 5; i >= 0; i--)
        {
            bytes[i] = (byte)mac;
            mac >>= 8;
        }
        return new PhysicalAddress(bytes);
    }

    // What went wrong, in the words of someone configuring a node: which interface, and what to change.
    private static DvsException OpenError(string interfaceName, int errno, string detail)
    {
        const int EPERM = 1, EACCES = 13, ENODEV = 19;
        return errno switch
        {
            ENODEV => new DvsException(DvsError.BadValue,
                $"raw transport: there is no network interface '{interfaceName}' on this host; "
                + $"set [node] interface to one that `ip link` lists ({detail})"),
            EPERM or EACCES => new DvsException(DvsError.Perm,
                $"raw transport on interface {interfaceName}: this process may not open raw (AF_PACKET) sockets; "
                + "it needs CAP_NET_RAW: run the node host as root, grant the capability "
                + "(systemd AmbientCapabilities=CAP_NET_RAW, or setcap cap_net_raw+ep on the executable), "
                + $"or use transport = udp ({detail})"),
            _ => new DvsException(Enum.IsDefined((DvsError)(-errno)) ? (DvsError)(-errno) : DvsError.Generic,
                $"raw transport on interface {interfaceName}: {detail}"),
        };
    }

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private void ThrowSocketError()
    {
        string message = Shim.LastErrorMessage();
        int errno = Shim.ErrCode();
        ObjectDisposedException.ThrowIf(_socket.IsClosed, this);
        var error = (DvsError)(-errno);
        throw new DvsException(Enum.IsDefined(error) ? error : DvsError.Generic, $"raw {InterfaceName}: {message}");
    }
}
