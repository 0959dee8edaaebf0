namespace Dvs.Tests.Hosting;

/// <summary>Two node hosts in this process whose proxies talk over TCP instead of UDP.</summary>
[TestFixture]
public class TcpTransportTests
{
    private static readonly DvsTimeout Long = DvsTimeout.FromMilliseconds(30_000);

    [Test]
    public void SendRecAcrossNodesOverTcpGetsEveryReply()
    {
        using var nodes = new TwoNodes(transport: TransportKind.Tcp);
        using (var probe = new System.Net.Sockets.TcpClient())
        {
            probe.Connect(nodes.Host0.ListenEndPoint!); // refused unless the proxy listens on TCP
        }
        using Endpoint server = nodes.Node0.Bind(0, 1);
        using Endpoint client = nodes.Node1.Bind(0, 100);
        Assert.That(nodes.Node1.WaitForRemote(0, 1, Long), Is.EqualTo(DvsError.Ok));
        var serverThread = new Thread(() =>
        {
            while (server.ReceiveRequest(out Message rq, Long) == DvsError.Ok)
            {
                server.Reply(rq.Source, new Message(rq.Type + 1) { [0] = rq[0] * 3 });
                if (rq.Type == -1)
                {
                    return;
                }
            }
        });
        serverThread.Start();
        try
        {
            for (int i = 0; i < 1000; i++)
            {
                var m = new Message(i) { [0] = i };
                Assert.That(client.SendRec(1, ref m, Long), Is.EqualTo(DvsError.Ok), $"call {i}");
                Assert.That(m.Type, Is.EqualTo(i + 1));
                Assert.That(m[0], Is.EqualTo(3L * i));
                Assert.That(m.Source, Is.EqualTo(1));
            }
        }
        finally
        {
            var stop = new Message(-1);
            client.SendRec(1, ref stop, Long);
            serverThread.Join();
        }
        Assert.That(nodes.Node0.GetCounter(NodeCounter.MessagesReceived), Is.GreaterThanOrEqualTo(1001),
            "the requests crossed to node 0's proxy");
    }
}
