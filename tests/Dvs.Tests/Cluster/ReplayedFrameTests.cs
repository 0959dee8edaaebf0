using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Dvs.Configuration;
using Dvs.Tests.Ipc;
using Dvs.Transport;

namespace Dvs.Tests.Cluster;

/// <summary>
/// Issue 11.2: after a node host is killed, authentic frames in its name (recorded earlier and
/// replayed, from its own address or from any other socket) must not keep it up.
/// </summary>
[TestFixture]
[NonParallelizable]
[Category("Cluster")]
public class ReplayedFrameTests
{
    private const int Server = 1;

    [Test]
    public void ADeadPeerGoesDownDespiteItsFramesReplayedAndCallsFailWithNotConnected()
    {
        using var cluster = TestCluster.Start(nodeCount: 2, heartbeatMs: 100, peerDownMs: 1000);
        using Node node1 = cluster.Attach(1);
        ulong victim;
        using (ChildProcess server = ClusterApps.Server(cluster.NodeName(0), 0, Server, 1))
        {
            using (ChildProcess warmup = ClusterApps.Clients(cluster.NodeName(1), 0, 100, 1, Server, 100, 1))
            {
                ClusterApps.ExpectDone(warmup, 1, 100);
            }
            using (Node node0 = cluster.Attach(0))
            {
                victim = node0.Incarnation;
            }
            Assert.That(node1.GetPeerState(0), Is.EqualTo("up"));
            cluster.Host(0).Kill();
            server.Kill();
        }

        // Node0's frames as they went out: its incarnation, node1's, control sequences it used
        // long ago (from its own port, now free) and ones it never reached (from another socket).
        var credentials = new ClusterCredentials(cluster.ClusterName, ClusterKey.FromText(cluster.KeyText).Span);
        using var fromVictimPort = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        fromVictimPort.Bind(new IPEndPoint(IPAddress.Loopback, cluster.Ports[0]));
        using var elsewhere = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        var target = new IPEndPoint(IPAddress.Loopback, cluster.Ports[1]);
        byte[] frame = new byte[FrameDescriptor.MinFrameLength];
        ulong old = 0;
        ulong fresh = 1UL << 40;
        long wrongAddressBefore = node1.GetCounter(NodeCounter.DropWrongAddress);
        var clock = Stopwatch.StartNew();
        var spin = new SpinWait();
        while (node1.GetPeerState(0) != "down")
        {
            Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(30)), "node1 still believes the killed node0 is up");
            fromVictimPort.SendTo(Heartbeat(frame, credentials, victim, node1.Incarnation, 1 + old++ % 3), target);
            elsewhere.SendTo(Heartbeat(frame, credentials, victim, node1.Incarnation, fresh++), target);
            spin.SpinOnce(sleep1Threshold: 20);
        }

        Assert.That(node1.GetCounter(NodeCounter.DropWrongAddress), Is.GreaterThan(wrongAddressBefore));
        using Endpoint caller = node1.Bind(0, 101);
        var m = new Message(1);
        Assert.That(caller.SendRec(Server, ref m, DvsTimeout.FromMilliseconds(60_000)), Is.EqualTo(DvsError.NotConnected));
    }

    private static byte[] Heartbeat(byte[] frame, ClusterCredentials credentials, ulong sender, ulong receiver, ulong controlSequence)
    {
        var header = new FrameHeader
        {
            Kind = FrameKind.Heartbeat,
            SourceNode = 0,
            DestinationNode = 1,
            SenderIncarnation = sender,
            ReceiverIncarnation = receiver,
            Sequence = controlSequence,
            ReceiveWindow = 64,
        };
        new FrameWriter(frame).Complete(header, credentials);
        return frame;
    }
}
