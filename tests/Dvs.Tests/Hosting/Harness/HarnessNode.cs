using Dvs.Hosting;
using Dvs.Tests.Transport;

namespace Dvs.Tests.Hosting.Harness;

/// <summary>
/// One node host of a <see cref="NodeHarness"/>: stepped (its proxy runs no threads), on the
/// harness's in-memory network and virtual clock, with a <see cref="Node"/> attached for the
/// test's endpoints. A killed node is no longer stepped and its datagrams vanish.
/// </summary>
internal sealed class HarnessNode : IDisposable
{
    public HarnessNode(int id, NodeHost host, LossyNetwork.Channel channel)
    {
        Id = id;
        Host = host;
        Channel = channel;
        Node = host.Attach();
    }

    public int Id { get; }

    public NodeHost Host { get; }

    /// <summary>The node's stepped proxy.</summary>
    public NodeProxy Proxy => Host.Proxy!;

    public LossyNetwork.Channel Channel { get; }

    /// <summary>The test's view of the node (binds, endpoint info, peer states).</summary>
    public Node Node { get; }

    /// <summary>False once killed: the harness steps it no more.</summary>
    public bool Alive { get; set; } = true;

    public void Dispose()
    {
        Node.Dispose();
        Host.Dispose();
    }
}
