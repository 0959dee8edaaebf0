using System.Net;
using Dvs.Services;
using Dvs.Tests.Transport;
using Dvs.Transport;

namespace Dvs.Tests.Hosting.Harness;

/// <summary>
/// Two or three node hosts in this process over a <see cref="LossyNetwork"/> (seeded loss,
/// duplication, reordering), on a virtual clock, their proxies stepped from the test's thread: a
/// seeded scheduler picks which node's sender pass, receiver pass or worker runs next, and moves
/// the clock. The test's endpoints call with NoWait (or async), so the test thread never blocks;
/// services run on their own threads (ServiceHost) and operator commands (migrations) on tasks,
/// both waited for by stepping until a condition holds. Killing a node stops stepping it and
/// silences it (its peers see it go down after PeerDownAfter of virtual time).
/// </summary>
internal sealed class NodeHarness : IDisposable
{
    public const long Ms = TimeSpan.TicksPerMillisecond;
    public const int Dc = 0;

    private readonly Random _random;
    private readonly Clock _clock;
    private readonly string _stem;
    private readonly int _nodeCount;
    private readonly int _ringCapacity;
    private int _idleSteps;

    /// <param name="seed">Seeds the network's faults and the scheduler.</param>
    /// <param name="nodes">How many node hosts (ids 0..nodes-1), all in DC 0.</param>
    /// <param name="drop">Probability a datagram is lost.</param>
    /// <param name="duplicate">Probability a datagram is delivered twice.</param>
    /// <param name="reorder">Probability a datagram is delayed behind later ones.</param>
    /// <param name="ringCapacity">Every endpoint's ring (small: the full-ring and overflow paths).</param>
    public NodeHarness(int seed, int nodes = 2, double drop = 0, double duplicate = 0, double reorder = 0, int ringCapacity = 16)
    {
        _random = new Random(seed);
        Network = new LossyNetwork(seed, drop, duplicate, reorder, latency: Ms / 20);
        _clock = new Clock(() => Network.Now);
        _stem = "hn" + Guid.NewGuid().ToString("N")[..8];
        _nodeCount = nodes;
        _ringCapacity = ringCapacity;
        try
        {
            for (int id = 0; id < nodes; id++)
            {
                Nodes.Add(StartNode(id));
            }
            RunUntil(() => Nodes.All(a => Nodes.All(b => a == b || a.Node.GetPeerState(b.Id) == "up")), "every node sees the others up");
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>Node <paramref name="id"/>'s host, stepped, on this harness's network and clock.</summary>
    private HarnessNode StartNode(int id)
    {
        LossyNetwork.Channel channel = Network.Connect(id);
        var network = new NetworkOptions
        {
            Listen = new IPEndPoint(IPAddress.Loopback, 40000 + id),
            ClusterKey = TwoNodes.Key,
            HeartbeatInterval = TimeSpan.FromMilliseconds(10),
            PeerDownAfter = TimeSpan.FromMilliseconds(100),
        };
        for (int peer = 0; peer < _nodeCount; peer++)
        {
            if (peer != id)
            {
                network.Peers.Add(new PeerOptions { NodeId = peer, Name = $"n{peer}", Address = new IPEndPoint(IPAddress.Loopback, 40000 + peer) });
            }
        }
        NodeHost host = NodeHost.StartStepped(new NodeHostOptions
        {
            NodeName = $"{_stem}-{id}",
            NodeId = id,
            Dcs = [new DcOptions { DcId = Dc, Name = "dc0", Nodes = (1UL << _nodeCount) - 1 }],
            Network = network,
            RingCapacity = _ringCapacity,
            MigrationTimeout = TimeSpan.FromSeconds(20),
        }, channel, _clock);
        host.RegisterServiceKind(KeyValueService.KindName, () => new KeyValueService());
        return new HarnessNode(id, host, channel);
    }

    /// <summary>
    /// Node <paramref name="id"/> (killed, or not) comes back as a new incarnation of the same node:
    /// a new host on the same name, nothing bound; what was in flight towards it still arrives
    /// (its peers' sessions see the new incarnation and reset). Its old host is stopped cleanly
    /// (it keeps no epoch record: a node that lost its state, not one that crashed mid-migration).
    /// </summary>
    public HarnessNode Restart(int id)
    {
        Nodes[id].Dispose();
        Network.Silenced.Remove(id);
        Nodes[id] = StartNode(id);
        return Nodes[id];
    }

    public LossyNetwork Network { get; }

    public List<HarnessNode> Nodes { get; } = new();

    public HarnessNode this[int id] => Nodes[id];

    /// <summary>Virtual time (ticks).</summary>
    public long Now => Network.Now;

    /// <summary>Scheduler steps taken so far.</summary>
    public long Steps { get; private set; }

    /// <summary>
    /// One step: the clock moves by 0..10 µs (by 1 ms after a run of steps that did nothing, so
    /// timers fire), then one pass of one live node: its sender pass, its receiver pass or its
    /// workers (restores, service stops), picked by the seeded scheduler.
    /// </summary>
    public void Step()
    {
        Steps++;
        Network.Now += _idleSteps > 24 ? Ms : _random.Next(0, 100);
        if (_idleSteps > 24)
        {
            _idleSteps = 0;
        }
        int alive = Nodes.Count(n => n.Alive);
        if (alive == 0)
        {
            return;
        }
        HarnessNode node = Nodes.Where(n => n.Alive).ElementAt(_random.Next(alive));
        bool worked = _random.Next(5) switch
        {
            0 or 1 => node.Proxy.SenderPass(),
            2 or 3 => node.Proxy.ReceiverPass() > 0,
            _ => node.Proxy.RunWorkers() > 0,
        };
        _idleSteps = worked ? 0 : _idleSteps + 1;
    }

    /// <summary>
    /// Steps until <paramref name="done"/> holds; fails the test after <paramref name="maxSteps"/>
    /// steps or a minute (a service or operator thread that never finishes), saying what it waited for.
    /// </summary>
    /// <param name="done">The condition.</param>
    /// <param name="what">For the failure message.</param>
    /// <param name="each">The test's own work (its clients and servers, non-blocking), before each step.</param>
    /// <param name="maxSteps">The bound.</param>
    public void RunUntil(Func<bool> done, string what, Action? each = null, long maxSteps = 2_000_000)
    {
        long end = Steps + maxSteps;
        long deadline = Environment.TickCount64 + 60_000;
        while (!done())
        {
            each?.Invoke();
            if (Steps > end || Environment.TickCount64 > deadline)
            {
                Assert.Fail($"not done after {Steps} steps, {Now / Ms} ms of virtual time: {what}; " +
                    $"network sent {Network.Sent}, dropped {Network.Dropped}, duplicated {Network.Duplicated}, reordered {Network.Reordered}");
            }
            Step();
        }
    }

    /// <summary>Steps <paramref name="count"/> times, <paramref name="each"/> before each.</summary>
    public void Run(int count, Action? each = null)
    {
        for (int i = 0; i < count; i++)
        {
            each?.Invoke();
            Step();
        }
    }

    /// <summary>The node dies: it is stepped no more and what it sends vanishes.</summary>
    public void Kill(int id)
    {
        Nodes[id].Alive = false;
        Network.Silenced.Add(id);
    }

    /// <summary>Operator or user work that blocks (a migration command): on a task, stepped until it ends.</summary>
    /// <param name="task">The work.</param>
    /// <param name="what">For the failure message.</param>
    /// <param name="each">The test's own work, before each step.</param>
    public T Await<T>(Task<T> task, string what, Action? each = null)
    {
        RunUntil(() => task.IsCompleted, what, each);
        return task.Result;
    }

    public void Dispose()
    {
        foreach (HarnessNode node in Nodes)
        {
            node.Dispose();
        }
    }
}
