using Dvs.Transport;

namespace Dvs.Tests.Cluster;

/// <summary>
/// Datagrams a node host must drop, drawn from a seeded generator: random bytes, truncated and
/// bit-flipped copies of well-formed frames, frames with a bad HMAC, of another cluster, from an
/// unknown node, addressed to another node, and oversized ones. None of them can be a frame the
/// host should accept. Not thread-safe.
/// </summary>
internal sealed class GarbageDatagrams
{
    private readonly Random _random;
    private readonly ClusterCredentials _cluster;
    private readonly ClusterCredentials _otherCluster;
    private readonly byte[] _frame = new byte[FrameDescriptor.DefaultMtu];
    private readonly byte[] _message = new byte[FrameDescriptor.MessageLength];

    /// <param name="seed">Seed of every choice (print it so a run can be replayed).</param>
    /// <param name="clusterName">The target's cluster.</param>
    /// <param name="key">The target's cluster key: garbage that passes the HMAC must fail a later check.</param>
    /// <param name="target">Node id of the host the datagrams go to.</param>
    /// <param name="peer">A node id of the cluster other than the target.</param>
    /// <param name="otherPeer">A third node id of the cluster.</param>
    public GarbageDatagrams(int seed, string clusterName, ReadOnlySpan<byte> key, int target, int peer, int otherPeer)
    {
        _random = new Random(seed);
        _cluster = new ClusterCredentials(clusterName, key);
        _otherCluster = new ClusterCredentials(clusterName + "-other", key);
        Target = (ushort)target;
        Peer = (ushort)peer;
        OtherPeer = (ushort)otherPeer;
    }

    public ushort Target { get; }

    public ushort Peer { get; }

    public ushort OtherPeer { get; }

    /// <summary>How many of each kind were made so far.</summary>
    public Dictionary<GarbageKind, int> Made { get; } = Enum.GetValues<GarbageKind>().ToDictionary(k => k, _ => 0);

    /// <summary>Writes the next datagram into <paramref name="buffer"/> (at least 9000 bytes) and returns its length.</summary>
    public int Next(byte[] buffer)
    {
        int roll = _random.Next(100);
        GarbageKind kind = roll switch
        {
            < 25 => GarbageKind.RandomBytes,
            < 40 => GarbageKind.Truncated,
            < 60 => GarbageKind.BitFlipped,
            < 70 => GarbageKind.BadHmac,
            < 80 => GarbageKind.WrongCluster,
            < 90 => GarbageKind.UnknownNode,
            < 96 => GarbageKind.WrongDestination,
            _ => GarbageKind.Oversized,
        };
        Made[kind]++;
        switch (kind)
        {
            case GarbageKind.RandomBytes:
            {
                int length = _random.Next(FrameDescriptor.DefaultMtu + 1); // 0 included: an empty datagram
                _random.NextBytes(buffer.AsSpan(0, length));
                return length;
            }
            case GarbageKind.Truncated:
            {
                int length = WellFormed(_cluster, Peer, Target);
                _frame.AsSpan(0, length).CopyTo(buffer);
                return _random.Next(length); // 0 .. length-1 bytes of it
            }
            case GarbageKind.BitFlipped:
            {
                int length = WellFormed(_cluster, Peer, Target);
                _frame.AsSpan(0, length).CopyTo(buffer);
                // Distinct bits, so no flip undoes another and the frame is never the valid original.
                int flips = 1 + _random.Next(8);
                var bits = new HashSet<int>();
                while (bits.Count < flips)
                {
                    bits.Add(_random.Next(length * 8));
                }
                foreach (int bit in bits)
                {
                    buffer[bit / 8] ^= (byte)(1 << (bit % 8));
                }
                return length;
            }
            case GarbageKind.BadHmac:
            {
                int length = WellFormed(_cluster, Peer, Target);
                _frame.AsSpan(0, length).CopyTo(buffer);
                Span<byte> tag = buffer.AsSpan(length - FrameDescriptor.HmacLength, FrameDescriptor.HmacLength);
                byte[] wrong = new byte[FrameDescriptor.HmacLength];
                do
                {
                    _random.NextBytes(wrong);
                }
                while (wrong.AsSpan().SequenceEqual(tag));
                wrong.CopyTo(tag);
                return length;
            }
            case GarbageKind.WrongCluster:
            {
                int length = WellFormed(_otherCluster, Peer, Target); // authentic with the key, but another cluster
                _frame.AsSpan(0, length).CopyTo(buffer);
                return length;
            }
            case GarbageKind.UnknownNode:
            {
                int length = WellFormed(_cluster, (ushort)(40 + _random.Next(20)), Target);
                _frame.AsSpan(0, length).CopyTo(buffer);
                return length;
            }
            case GarbageKind.WrongDestination:
            {
                int length = WellFormed(_cluster, Peer, OtherPeer); // a frame for another node, delivered here
                _frame.AsSpan(0, length).CopyTo(buffer);
                return length;
            }
            default:
            {
                int length = FrameDescriptor.DefaultMtu + 1 + _random.Next(9000 - FrameDescriptor.DefaultMtu - 1);
                _random.NextBytes(buffer.AsSpan(0, length));
                int header = WellFormed(_cluster, Peer, Target);
                _frame.AsSpan(0, Math.Min(header, length)).CopyTo(buffer);
                return length;
            }
        }
    }

    // A frame the target would take if it came from the peer with the right HMAC: random kind,
    // incarnations, sequence and 1..3 messages for random endpoints.
    private int WellFormed(ClusterCredentials credentials, ushort source, ushort destination)
    {
        var kind = (FrameKind)(1 + _random.Next(4));
        var writer = new FrameWriter(_frame);
        if (kind == FrameKind.Data)
        {
            byte[] message = _message;
            int count = 1 + _random.Next(3);
            for (int i = 0; i < count; i++)
            {
                _random.NextBytes(message);
                var header = new MessageHeader((ushort)_random.Next(2), (byte)_random.Next(8), _random.Next(-35, 221),
                    (uint)_random.Next(4), (uint)_random.Next());
                writer.TryAppend(header, message);
            }
        }
        var frame = new FrameHeader
        {
            Kind = kind,
            SourceNode = source,
            DestinationNode = destination,
            SenderIncarnation = (ulong)_random.NextInt64(),
            ReceiverIncarnation = (ulong)_random.NextInt64(),
            Sequence = kind == FrameKind.Data ? (ulong)_random.Next(1000) : 0,
            CumulativeAck = (ulong)_random.Next(1000),
            SelectiveAcks = (ulong)_random.NextInt64(),
            ReceiveWindow = (uint)_random.Next(256),
        };
        return writer.Complete(frame, credentials);
    }
}
