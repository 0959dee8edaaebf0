using Dvs.Configuration;
using Dvs.FaultRelay;
using Dvs.Hosting;
using Dvs.Services;
using Dvs.Tests.Cluster;

namespace Dvs.Tests.Migration;

/// <summary>
/// What the migration tests share: a cluster whose node0.ini declares the "kv" service on endpoint
/// <see cref="Server"/> of dc0, and the checks they make on it (clients progress, every call
/// executed exactly once, what a node's status says). Every wait is bounded. Not thread-safe.
/// </summary>
internal static class MigrationChecks
{
    /// <summary>The endpoint of the "kv" service (DC 0).</summary>
    public const int Server = 10;

    private static readonly DvsTimeout Long = DvsTimeout.FromMilliseconds(30_000);

    private static readonly ServiceConfig Kv = new() { Name = "kv", Dc = "dc0", Endpoint = Server, Kind = KeyValueService.KindName };

    /// <summary>Three node hosts, the "kv" service on node 0.</summary>
    /// <param name="faults">A fault relay between every pair of hosts, when set.</param>
    /// <param name="peerDownMs">Silence after which a peer is down.</param>
    /// <param name="crashPoints">Nodes whose first host kills itself at a point of the protocol.</param>
    public static TestCluster StartCluster(FaultOptions? faults = null, int peerDownMs = 5000,
        IReadOnlyList<(int Node, string Point)>? crashPoints = null) =>
        TestCluster.Start(faults: faults, peerDownMs: peerDownMs, services: [(0, Kv)], crashPoints: crashPoints);

    /// <summary>Every endpoint of every client process makes its step of calls from now on.</summary>
    /// <param name="clients">The client processes.</param>
    public static void AllProgress(List<KvClients> clients)
    {
        clients.ForEach(c => c.Mark());
        clients.ForEach(c => c.ExpectProgress());
    }

    /// <summary>
    /// Asks the service on node <paramref name="from"/>'s side: a Get's word 6 is the service's
    /// executed count (the Get included), which must be every call the clients made; each client's
    /// key holds its own count.
    /// </summary>
    /// <param name="cluster">The cluster.</param>
    /// <param name="from">The node whose segment the probe attaches to.</param>
    /// <param name="total">Calls the clients made.</param>
    /// <param name="clients">Calls per client endpoint (its key).</param>
    public static void ExpectExecuted(TestCluster cluster, int from, long total, IReadOnlyDictionary<int, long> clients)
    {
        using Node node = cluster.Attach(from);
        using Endpoint probe = node.Bind(0, 99);
        if (node.GetEndpointInfo(0, Server)?.State != "local")
        {
            Assert.That(node.WaitForRemote(0, Server, Long), Is.EqualTo(DvsError.Ok));
        }
        foreach ((int ep, long count) in clients)
        {
            var get = new Message(KeyValueService.Get) { [0] = ep };
            Assert.That(probe.SendRec(Server, ref get, Long), Is.EqualTo(DvsError.Ok));
            Assert.That(get[0], Is.EqualTo(count), $"the key of client {ep} holds its number of calls");
            total++;
        }
        var final = new Message(KeyValueService.Get) { [0] = 0 };
        Assert.That(probe.SendRec(Server, ref final, Long), Is.EqualTo(DvsError.Ok));
        Assert.That(final[6], Is.EqualTo(total + 1), "the service executed every call exactly once (plus these Gets)");
        TestContext.Progress.WriteLine($"{total} calls, executed {final[6] - 1}");
    }

    /// <summary>up, down or unknown: how the node behind <paramref name="control"/> sees <paramref name="peer"/>.</summary>
    /// <param name="control">The node's control connection.</param>
    /// <param name="peer">The peer's node id.</param>
    public static string PeerState(ControlClient control, int peer)
    {
        ControlResponse r = control.Status();
        Assert.That(r.Ok, Is.True, r.Message);
        return r.Status!.Peers.Single(p => p.NodeId == peer).State;
    }

    /// <summary>The status of <paramref name="endpoint"/> of DC 0 in a status answer; fails the test when it is absent.</summary>
    /// <param name="status">A status answer.</param>
    /// <param name="endpoint">The endpoint.</param>
    public static EndpointStatus FindEndpoint(ControlResponse status, int endpoint)
    {
        Assert.That(status.Ok, Is.True, status.Message);
        return status.Status!.Dcs.Single(d => d.DcId == 0).Endpoints.Single(e => e.Endpoint == endpoint);
    }

    /// <summary>
    /// Asks the node behind <paramref name="control"/> for its status until it shows the "kv" endpoint
    /// as <paramref name="until"/> wants, at most <paramref name="bound"/>; returns what it showed
    /// last (null: the endpoint was free there, or the node did not answer), for the caller to assert.
    /// </summary>
    /// <param name="control">The node's control connection.</param>
    /// <param name="until">The condition waited for.</param>
    /// <param name="bound">The longest wait.</param>
    public static EndpointStatus? WaitForEndpoint(ControlClient control, Func<EndpointStatus, bool> until, TimeSpan bound)
    {
        EndpointStatus? last = null;
        SpinWait.SpinUntil(() => (last = TryFindEndpoint(control)) is { } seen && until(seen), bound);
        return last;
    }

    /// <summary>(state, owner, epoch, hosted service kind) of an endpoint status, for one assertion
    /// with a readable failure.</summary>
    /// <param name="status">The status; null reads as ("absent", -1, 0, null).</param>
    public static (string State, int Owner, uint Epoch, string? Kind) Where(EndpointStatus? status) =>
        status is null ? ("absent", -1, 0u, null) : (status.State, status.Owner, status.Epoch, status.Service?.Kind);

    private static EndpointStatus? TryFindEndpoint(ControlClient control)
    {
        ControlResponse status;
        try
        {
            status = control.Status();
        }
        catch (DvsException)
        {
            return null;   // the host did not answer this time; the caller's bound decides
        }
        return status.Ok
            ? status.Status!.Dcs.Single(d => d.DcId == 0).Endpoints.SingleOrDefault(e => e.Endpoint == Server)
            : null;
    }
}
