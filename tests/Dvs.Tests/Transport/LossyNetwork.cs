using Dvs.Transport;

namespace Dvs.Tests.Transport;

/// <summary>
/// An in-memory datagram network on virtual time for deterministic session tests: every datagram
/// takes <c>latency</c> ticks, and with seeded probabilities is dropped, duplicated, or delayed by
/// 1..4 extra latencies so later ones overtake it. The test moves <see cref="Now"/>.
/// </summary>
internal sealed class LossyNetwork
{
    private readonly Random _random;
    private readonly double _drop;
    private readonly double _duplicate;
    private readonly double _reorder;
    private readonly long _latency;
    private readonly Dictionary<int, PriorityQueue<(int From, byte[] Data), (long At, long Order)>> _queues = new();
    private long _order;

    public LossyNetwork(int seed, double drop, double duplicate, double reorder, long latency)
    {
        _random = new Random(seed);
        _drop = drop;
        _duplicate = duplicate;
        _reorder = reorder;
        _latency = latency;
    }

    public long Now { get; set; }

    public long Sent { get; private set; }

    public long Dropped { get; private set; }

    public long Duplicated { get; private set; }

    public long Reordered { get; private set; }

    /// <summary>When set, a copy of every datagram sent (before loss), as an eavesdropper records them.</summary>
    public List<(int From, int To, byte[] Data)>? Tap { get; set; }

    /// <summary>Datagrams from these nodes vanish (a cut cable).</summary>
    public HashSet<int> Silenced { get; } = new();

    public Channel Connect(int node)
    {
        // A restarted node gets what was still in flight towards its address, as on a network.
        if (!_queues.ContainsKey(node))
        {
            _queues[node] = new();
        }
        return new Channel(this, node);
    }

    private void Transmit(int from, int to, ReadOnlySpan<byte> datagram)
    {
        Sent++;
        Tap?.Add((from, to, datagram.ToArray()));
        if (Silenced.Contains(from) || !_queues.TryGetValue(to, out var queue))
        {
            Dropped++;
            return;
        }
        // Draw every number for every datagram so one outcome does not shift the others.
        bool drop = _random.NextDouble() < _drop;
        bool duplicate = _random.NextDouble() < _duplicate;
        bool reorder = _random.NextDouble() < _reorder;
        long extra = _latency * _random.Next(1, 5);
        if (drop)
        {
            Dropped++;
            return;
        }
        byte[] copy = datagram.ToArray();
        long at = Now + _latency + (reorder ? extra : 0);
        if (reorder)
        {
            Reordered++;
        }
        queue.Enqueue((from, copy), (at, _order++));
        if (duplicate)
        {
            Duplicated++;
            queue.Enqueue((from, copy), (at + _latency / 2, _order++));
        }
    }

    internal sealed class Channel(LossyNetwork network, int node) : IDatagramChannel
    {
        public int Node => node;

        /// <summary>Nodes are addressed by id here; addresses do not matter.</summary>
        public void SetPeer(int peer, System.Net.IPEndPoint address)
        {
        }

        public int Send(DatagramBatch batch)
        {
            for (int i = 0; i < batch.Count; i++)
            {
                network.Transmit(node, batch.Peer(i), batch[i]);
            }
            return batch.Count;
        }

        /// <summary>Takes what has arrived by Now; never blocks (virtual time).</summary>
        public int Receive(DatagramBatch batch, int timeoutMilliseconds)
        {
            batch.Clear();
            var queue = network._queues[node];
            while (!batch.IsFull && queue.TryPeek(out var item, out var when) && when.At <= network.Now)
            {
                queue.Dequeue();
                batch.TryAdd(item.From, item.Data);
            }
            return batch.Count;
        }

        public void Dispose()
        {
        }
    }
}
