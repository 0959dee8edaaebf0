using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Dvs.Services;
using Dvs.Transport;

namespace Dvs.Fuzz;

/// <summary>
/// Target "frame-mac": what a node host does with frames that pass the HMAC, i.e. with what an
/// authenticated but buggy or hostile peer sends. The input is a sequence of frames, each as a
/// 2-byte little-endian length and the bytes; each is given to a real node host (node 0, in this
/// process, peer node 1 silent) as if received. Before that the harness sets the fields a peer
/// cannot get wrong by chance (cluster id, node ids, incarnations: a new peer incarnation per input,
/// so every input starts a fresh stream) and signs the frame with the cluster key, so the fuzzer
/// reaches the session (sequence numbers, acks, window) and the control messages inside frames
/// (bind, unbind, migration, vcopy, replies). Kept out: vcopy requests and data, which by design
/// let a trusted peer read and write the memory of this node's processes (here: the harness).
/// </summary>
internal sealed class FrameMacTarget : IDisposable
{
    private const int VCopyRequestKind = 20;   // NodeProxy.CallKindVCopyRequest
    private const int VCopyDataKind = 21;      // NodeProxy.CallKindVCopyData
    private static readonly Lazy<FrameMacTarget> Shared = new(() => new FrameMacTarget());

    private readonly Socket _peer;
    private readonly NodeHost _host;
    private readonly Node _node;
    private readonly Endpoint _plain;
    private readonly ulong _localIncarnation;
    private readonly byte[] _frame = new byte[FrameDescriptor.MaxFrameLength];
    private ulong _peerIncarnation;

    private FrameMacTarget()
    {
        // The peer's address: a socket that never answers (what the node sends it is dropped).
        _peer = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        _peer.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var network = new NetworkOptions
        {
            Listen = new IPEndPoint(IPAddress.Loopback, 0),
            ClusterKey = FuzzCluster.Key,
            PeerDownAfter = TimeSpan.FromHours(1),
        };
        network.Peers.Add(new PeerOptions { NodeId = FuzzCluster.PeerNode, Name = "peer", Address = (IPEndPoint)_peer.LocalEndPoint! });
        _host = NodeHost.Start(new NodeHostOptions
        {
            NodeName = $"fuzz{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..6]}",
            NodeId = FuzzCluster.LocalNode,
            Cluster = FuzzCluster.Name,
            Dcs = [new DcOptions { DcId = 0, Nodes = (1UL << FuzzCluster.LocalNode) | (1UL << FuzzCluster.PeerNode) }],
            Network = network,
        });
        _host.RegisterServiceKind(KeyValueService.KindName, () => new KeyValueService());
        _host.HostService(0, FuzzCluster.Service, KeyValueService.KindName);
        _node = _host.Attach();
        _plain = _node.Bind(0, FuzzCluster.Plain);
        _localIncarnation = _node.Incarnation;
        _peerIncarnation = (ulong)Environment.TickCount64 << 16;
    }

    public static void Run(ReadOnlySpan<byte> input) => Shared.Value.Feed(input);

    /// <summary>A counter of the node host the frames go to (tests check that the seeds get past the HMAC).</summary>
    public static long Counter(NodeCounter counter) => Shared.Value._node.GetCounter(counter);

    /// <summary>Stops the node host of this process, if one was started.</summary>
    public static void Stop()
    {
        if (Shared.IsValueCreated)
        {
            Shared.Value.Dispose();
        }
    }

    private void Feed(ReadOnlySpan<byte> input)
    {
        ulong incarnation = ++_peerIncarnation;
        while (input.Length >= 2)
        {
            int length = Math.Min(BinaryPrimitives.ReadUInt16LittleEndian(input), input.Length - 2);
            Span<byte> frame = _frame.AsSpan(0, Math.Min(length, _frame.Length));
            input.Slice(2, frame.Length).CopyTo(frame);
            input = input[(2 + length)..];
            if (frame.Length >= FrameDescriptor.MinFrameLength)
            {
                Authenticate(frame, incarnation);
            }
            _host.ReceiveInjected(frame);
        }
    }

    private void Authenticate(Span<byte> f, ulong incarnation)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(f[FrameDescriptor.ClusterIdOffset..], FuzzCluster.Credentials.ClusterId);
        BinaryPrimitives.WriteUInt16LittleEndian(f[FrameDescriptor.SourceNodeOffset..], FuzzCluster.PeerNode);
        BinaryPrimitives.WriteUInt16LittleEndian(f[FrameDescriptor.DestinationNodeOffset..], FuzzCluster.LocalNode);
        // Zero stays zero: "unknown", which the reader and the session must handle too.
        if (BinaryPrimitives.ReadUInt64LittleEndian(f[FrameDescriptor.SenderIncarnationOffset..]) != 0)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(f[FrameDescriptor.SenderIncarnationOffset..], incarnation);
        }
        if (BinaryPrimitives.ReadUInt64LittleEndian(f[FrameDescriptor.ReceiverIncarnationOffset..]) != 0)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(f[FrameDescriptor.ReceiverIncarnationOffset..], _localIncarnation);
        }
        int hmacOffset = f.Length - FrameDescriptor.HmacLength;
        for (int entry = FrameDescriptor.HeaderLength; entry + FrameDescriptor.MessageHeaderLength <= hmacOffset; entry += FrameDescriptor.EntryLength)
        {
            int kind = entry + FrameDescriptor.MessageCallKindOffset;
            if (f[kind] is VCopyRequestKind or VCopyDataKind)
            {
                f[kind] = 0;
            }
        }
        FuzzCluster.Credentials.ComputeTag(f[..hmacOffset], f.Slice(hmacOffset, FrameDescriptor.HmacLength));
    }

    public void Dispose()
    {
        _plain.Dispose();
        _node.Dispose();
        _host.Dispose();
        _peer.Dispose();
    }
}
