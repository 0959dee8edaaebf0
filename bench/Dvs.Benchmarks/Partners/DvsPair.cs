namespace Dvs.Benchmarks.Partners;

/// <summary>
/// The Dvs side of a benchmark: a node host embedded in the benchmark process (as in the demo),
/// the client endpoint bound here, and the partner process that binds the server endpoint.
/// Both endpoints are privileged (below nr_sysprocs = 64), so every primitive is allowed.
/// Not thread-safe; created in a GlobalSetup, disposed in the GlobalCleanup.
/// </summary>
internal sealed class DvsPair : IDisposable
{
    internal const int DcId = 0;
    internal const int ServerEndpoint = 1;
    internal const int ClientEndpoint = 2;

    private readonly NodeHost host;
    private readonly Node node;
    private readonly PartnerProcess partner;

    private DvsPair(NodeHost host, Node node, PartnerProcess partner, Endpoint client)
    {
        this.host = host;
        this.node = node;
        this.partner = partner;
        Client = client;
    }

    internal Endpoint Client { get; }

    /// <summary>Starts the node, the partner in <paramref name="mode"/> (--echo or --sink), and binds the client.</summary>
    internal static DvsPair Start(string mode, bool spinning)
    {
        var nodeName = $"bench{Environment.ProcessId}";
        var host = NodeHost.Start(new NodeHostOptions
        {
            NodeName = nodeName,
            Dcs = [new DcOptions { DcId = DcId, Name = "bench" }],
        });
        Node? node = null;
        PartnerProcess? partner = null;
        try
        {
            var wait = spinning ? WaitStrategy.Spinning : WaitStrategy.Blocking;
            node = host.Attach(wait);
            partner = PartnerProcess.StartSelf(mode, "dvs", nodeName, DcId.ToString(), ServerEndpoint.ToString(),
                Cpus.Partner.ToString(), spinning ? "spin" : "block");
            var client = node.Bind(DcId, ClientEndpoint);
            return new DvsPair(host, node, partner, client);
        }
        catch
        {
            partner?.Dispose();
            node?.Dispose();
            host.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        try
        {
            partner.Dispose();
        }
        finally
        {
            Client.Dispose();
            node.Dispose();
            host.Dispose();
        }
    }
}
