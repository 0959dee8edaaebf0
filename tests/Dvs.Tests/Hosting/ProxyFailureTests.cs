using Dvs.Hosting;
using Dvs.Tests.Cli;
using Dvs.Tests.Configuration;

namespace Dvs.Tests.Hosting;

/// <summary>A proxy thread that dies is visible, fails the node's remote waiters, and stops `dvs node run` (issue 11.7).</summary>
[TestFixture]
[NonParallelizable]   // the fault hook is process-wide (by node name)
public class ProxyFailureTests
{
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(10);

    [Test]
    public void AWaiterForARemoteReplyFailsWithNoProxyWhenTheProxyDiesAndSoDoNewRemoteCalls()
    {
        using var nodes = new TwoNodes();
        using Endpoint server = nodes.Node1.Bind(0, 1);   // never answers
        using Endpoint client = nodes.Node0.Bind(0, 100);
        using Endpoint local = nodes.Node0.Bind(0, 2);
        Assert.That(nodes.Node0.WaitForRemote(0, 1, DvsTimeout.FromMilliseconds(30_000)), Is.EqualTo(DvsError.Ok));
        Task<DvsError> call = Task.Run(() =>
        {
            var m = new Message(1);
            return client.SendRec(1, ref m, DvsTimeout.Forever);
        });
        Assert.That(server.ReceiveRequest(out _, DvsTimeout.FromMilliseconds(30_000)), Is.EqualTo(DvsError.Ok), "the call is in flight");
        try
        {
            NodeProxy.FailingNode = nodes.Host0.NodeName;
            Assert.That(nodes.Host0.Failure.Wait(Guard), Is.True, "the host reports the failure");
            Assert.That(call.Wait(Guard), Is.True, "the waiter returns");
            Assert.That(call.Result, Is.EqualTo(DvsError.NoProxy));
            var again = new Message(2);
            Assert.That(client.SendRec(1, ref again, DvsTimeout.Forever), Is.EqualTo(DvsError.NoProxy), "a new remote call fails at once");
            Assert.That(client.SendRecAsync(1, again, DvsTimeout.Forever).AsTask().Wait(Guard), Is.True);
            Assert.That(local.Send(100, new Message(3), DvsTimeout.NoWait), Is.EqualTo(DvsError.CallDenied).Or.EqualTo(DvsError.Ok),
                "calls inside the node need no proxy");
        }
        finally
        {
            NodeProxy.FailingNode = null;
        }
    }

    [Test]
    public async Task NodeRunExitsWithOneWhenAProxyThreadDies()
    {
        using var dir = new ConfigDir();
        string name = ConfigDir.UniqueNodeName();
        string path = dir.Write("node0.ini", ConfigDir.RunnableIni(name));
        using var stop = new CancellationTokenSource();
        var output = new ObservedWriter();
        Task<CliResult> run = CliRun.RunAsync(["node", "run", "--config", path], stop.Token, output);
        try
        {
            await output.WhenWritten("running").WaitAsync(Guard);
            NodeProxy.FailingNode = name;
            CliResult r = await run.WaitAsync(Guard);
            Assert.That(r.ExitCode, Is.EqualTo(1), r.ToString());
            Assert.That(r.Error, Does.Contain($"node {name} failed: a proxy thread died"));
        }
        finally
        {
            NodeProxy.FailingNode = null;
            await stop.CancelAsync();
        }
    }
}
