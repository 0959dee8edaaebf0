using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Dvs.Transport;
using NUnit.Framework;
using static Dvs.Tests.Transport.TransportTestKit;

namespace Dvs.Tests.Transport;

/// <summary>
/// Issue 11.23: a TCP channel with the cluster key gives an accepted connection its buffers only
/// once its first frame passed the HMAC, came from a configured peer's address and arrived within
/// a deadline; unauthenticated connections are capped; every refusal is counted.
/// </summary>
public sealed class TcpChannelAuthenticationTest
{
    private static readonly IPEndPoint AnyLoopback = new(IPAddress.Loopback, 0);

    private static TcpChannel OpenB(TimeSpan authenticationTimeout) =>
        TcpChannel.Open(AnyLoopback, new TcpAuthentication(Credentials, NodeB, FrameDescriptor.DefaultMtu)
        {
            Timeout = authenticationTimeout,
        });

    private static void ReceiveUntil(TcpChannel channel, DatagramBatch batch, Func<bool> done, string what, List<byte[]>? got = null)
    {
        var clock = Stopwatch.StartNew();
        while (!done())
        {
            Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(20)), what);
            int n = channel.Receive(batch, 10);
            for (int i = 0; i < n; i++)
            {
                got?.Add(batch[i].ToArray());
            }
        }
    }

    private static byte[] Prefixed(byte[] frame)
    {
        var bytes = new byte[4 + frame.Length];
        BitConverter.TryWriteBytes(bytes, frame.Length);
        frame.CopyTo(bytes, 4);
        return bytes;
    }

    [Test]
    public void APeersFramesAreTaggedWithItsNodeOnceItsFirstFramePassed()
    {
        using TcpChannel b = OpenB(TimeSpan.FromSeconds(5));
        using TcpChannel a = TcpChannel.Open(AnyLoopback);
        b.SetPeer(NodeA, a.LocalEndPoint);
        a.SetPeer(NodeB, b.LocalEndPoint);
        var batch = new DatagramBatch(64, FrameDescriptor.DefaultMtu + 1);
        var outgoing = new DatagramBatch(4, FrameDescriptor.DefaultMtu);
        var got = new List<byte[]>();
        var peers = new List<int>();
        ReceiveUntil(b, batch, () =>
        {
            outgoing.Clear();
            outgoing.TryAdd(NodeB, DataFrame(3));
            a.Send(outgoing);
            for (int i = 0; i < batch.Count; i++)
            {
                peers.Add(batch.Peer(i));
            }
            return peers.Count >= 2;
        }, "frames from A", got);
        Assert.That(b.NamesSenders, Is.True);
        Assert.That(peers, Is.All.EqualTo(NodeA));
        Assert.That(b.RefusedConnections, Is.Zero);
    }

    [Test]
    public void ConnectionsThatDoNotAuthenticateAreClosedCappedAndCounted()
    {
        using TcpChannel b = OpenB(TimeSpan.FromMilliseconds(300));
        b.SetPeer(NodeA, new IPEndPoint(IPAddress.Parse("127.0.0.2"), 9));
        var batch = new DatagramBatch(64, FrameDescriptor.DefaultMtu + 1);
        var sockets = new List<Socket>();
        try
        {
            // Forty silent connections: at most the cap wait for their first frame at any time.
            for (int i = 0; i < 40; i++)
            {
                var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                s.Connect(b.LocalEndPoint);
                sockets.Add(s);
            }
            ReceiveUntil(b, batch, () => b.RefusedConnections >= 40 - TcpChannel.MaxPendingConnections,
                "connections over the cap refused");
            Assert.That(b.InboundConnections, Is.LessThanOrEqualTo(TcpChannel.MaxPendingConnections));
            // The ones let in never authenticate: closed at the deadline.
            ReceiveUntil(b, batch, () => b.InboundConnections == 0, "silent connections closed at the deadline");
            Assert.That(b.RefusedConnections, Is.EqualTo(40));

            // A first frame with a bad HMAC, one announcing a huge length, one from an address
            // that is not the peer's (A is configured at 127.0.0.2): each closed and counted.
            byte[] badHmac = DataFrame(1);
            badHmac[^1] ^= 1;
            byte[] huge = new byte[4];
            BitConverter.TryWriteBytes(huge, FrameDescriptor.MaxFrameLength);
            byte[] authentic = DataFrame(1);
            foreach (byte[] first in new[] { Prefixed(badHmac), huge, Prefixed(authentic) })
            {
                var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                sockets.Add(s);
                s.Connect(b.LocalEndPoint);
                s.Send(first);
            }
            ReceiveUntil(b, batch, () => b.RefusedConnections == 43, "bad first frames refused");
            Assert.That(batch.Count, Is.Zero, "nothing was delivered");
        }
        finally
        {
            sockets.ForEach(s => s.Dispose());
        }
    }
}
