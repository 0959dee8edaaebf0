using System.Net;
using Dvs.Hosting;
using Dvs.Ipc;
using Microsoft.Extensions.Logging.Abstractions;

namespace Dvs.Tests.Hosting;

/// <summary>
/// Issue 12: the proxy is built first and started after its host wired it (services, metrics,
/// node): a thread started in its constructor could take a migration or a status request while
/// those were still unset.
/// </summary>
[TestFixture]
public class NodeProxyStartTests
{
    [Test]
    public void TheProxyRunsNoThreadUntilItIsStarted()
    {
        var options = new NodeHostOptions
        {
            NodeName = "start-" + Guid.NewGuid().ToString("N")[..8],
            NodeId = 0,
            Dcs = [new DcOptions { DcId = 0, Name = "dc0", Nodes = 0b11 }],
            Network = new NetworkOptions
            {
                Listen = new IPEndPoint(IPAddress.Loopback, 0),
                Peers = { new PeerOptions { NodeId = 1, Name = "n1", Address = new IPEndPoint(IPAddress.Loopback, TwoNodes.FreePort()) } },
                ClusterKey = TwoNodes.Key,
            },
        };
        options.Validate();
        using NodeSegment segment = NodeSegment.Create(options);
        try
        {
            using var proxy = new NodeProxy(segment, options.Network, options.Cluster, NullLogger.Instance);
            Assert.That(proxy.IsRunning, Is.False, "built, not started");
            proxy.Start();
            Assert.That(proxy.IsRunning, Is.True);
        }
        finally
        {
            segment.Unlink();
        }
    }
}
