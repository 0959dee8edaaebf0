using Dvs.Tests.Ipc;

namespace Dvs.Tests.Cluster;

/// <summary>
/// A receiver that stops receiving while another node sends to it: its messages wait (none lost, in
/// order), and the other traffic of the sender's node, to the receiver's node and to a third node,
/// goes on. (Fails on main as of 0e09d3f: one stuck endpoint stalls every call leaving the sender's
/// node, see the cluster branch's report.)
/// </summary>
[TestFixture]
[NonParallelizable]
[Category("Cluster")]
public class StuckReceiverTests
{
    private const int Server = 1;
    private const int OtherServer = 3;
    private const int Sink = 5;
    private const int Messages = 5000; // far more than the sink's ring (256) holds

    [Test]
    public void MessagesForAStuckReceiverWaitInOrderWithoutStallingOtherCallsFromTheSendersNode()
    {
        using var cluster = TestCluster.Start();
        using ChildProcess server = ClusterApps.Server(cluster.NodeName(0), 0, Server, 1);
        using ChildProcess otherServer = ClusterApps.Server(cluster.NodeName(2), 0, OtherServer, 3);
        using var sink = new ClusterProcess("sink", ClusterProcess.BuiltProgram("DvsTestChild"),
            ["sink", cluster.NodeName(0), "0", Sink.ToString(), Messages.ToString()], redirectInput: true);
        Assert.That(sink.WaitForLine(l => l == "ready", TimeSpan.FromMinutes(1)), Is.EqualTo("ready"));

        using Node node1 = cluster.Attach(1);
        using Endpoint sender = node1.Bind(0, 10); // a privileged slot: user slots may only SendRec
        Assert.That(node1.WaitForRemote(0, Sink, DvsTimeout.FromMilliseconds(60_000)), Is.EqualTo(DvsError.Ok));
        // One-way sends to the stuck sink; they may block once every buffer on the way is full (the
        // sender is told to wait, nothing is dropped), so they run beside the rest of the test.
        Task<string> sends = Task.Run(() =>
        {
            for (long i = 0; i < Messages; i++)
            {
                var m = new Message(9) { [0] = i };
                DvsError e = sender.Send(Sink, m, DvsTimeout.FromMilliseconds(120_000));
                if (e != DvsError.Ok)
                {
                    return $"send {i}: {e}";
                }
            }
            return "sent";
        });

        // Calls from the sender's node to a third node, and to another endpoint of the stuck
        // receiver's node, still get answers.
        using (ChildProcess callers = ClusterApps.Clients(cluster.NodeName(1), 0, 110, 1, OtherServer, 500, 3))
        {
            ClusterApps.ExpectDone(callers, 1, 500);
        }
        using (ChildProcess callers = ClusterApps.Clients(cluster.NodeName(1), 0, 101, 2, Server, 500, 1))
        {
            ClusterApps.ExpectDone(callers, 2, 500);
        }
        Assert.That(sends.IsCompleted ? sends.Result : "still sending", Is.Not.StartWith("send "), "no send failed while the sink was stuck");

        // The sink wakes up: every message is there, in order.
        sink.StandardInput.WriteLine("go");
        sink.StandardInput.Flush();
        Assert.That(sends.Wait(TimeSpan.FromMinutes(2)), Is.True, "the sends complete once the sink receives");
        Assert.That(sends.Result, Is.EqualTo("sent"));
        Assert.That(sink.WaitForLine(l => l.StartsWith("received", StringComparison.Ordinal) || l.StartsWith("FAIL", StringComparison.Ordinal), TimeSpan.FromMinutes(2)),
            Is.EqualTo($"received {Messages} from 1 senders in order"));
        using Node node0 = cluster.Attach(0);
        using Endpoint stopper = node0.Bind(0, 2);
        Assert.That(ClusterApps.StopServer(server, stopper, Server), Is.EqualTo(1000));
        using Node node2 = cluster.Attach(2);
        using Endpoint stopper2 = node2.Bind(0, 4); // endpoint numbers are DC-wide: 2 is bound on node0
        Assert.That(ClusterApps.StopServer(otherServer, stopper2, OtherServer), Is.EqualTo(500));
    }
}
