using System.Diagnostics;
using System.Net;
using Dvs.Tests.Transport;
using Dvs.Transport;

namespace Dvs.Tests.Hosting;

/// <summary>
/// A peer node played by the test: a real session with the cluster key over UDP at the address a
/// node host was configured with for that peer, so the test can send it any authentic message.
/// Driven by the test thread only (<see cref="PumpUntil"/>).
/// </summary>
internal sealed class ForgedPeer : IDisposable
{
    private readonly UdpChannel _channel;
    private readonly FrameReader _reader;
    private readonly DatagramBatch _out = new(64, FrameDescriptor.MaxFrameLength);
    private readonly DatagramBatch _in = new(64, FrameDescriptor.MaxFrameLength);

    public ForgedPeer(int node, int port, int hostNode, IPEndPoint host, string cluster, byte[] key)
    {
        var credentials = new ClusterCredentials(cluster, key);
        _channel = UdpChannel.Open(new IPEndPoint(IPAddress.Loopback, port));
        _channel.SetPeer(hostNode, host);
        Drops = new DropCounters();
        _reader = new FrameReader(credentials, node, (1UL << node) | (1UL << hostNode), FrameDescriptor.MaxFrameLength, Drops);
        Session = new ReliableSession(new SessionOptions(), credentials, node, hostNode, 7, Received, Drops,
            MonotonicClock.NowTicks);
    }

    /// <summary>The messages the host sent this peer, in order.</summary>
    public ReceivedMessages Received { get; } = new();

    public ReliableSession Session { get; }

    public DropCounters Drops { get; }

    /// <summary>Polls, sends and receives until <paramref name="done"/>; fails after 10 s.</summary>
    public void PumpUntil(Func<bool> done, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!done())
        {
            Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(10)), what);
            long now = MonotonicClock.NowTicks;
            _out.Clear();
            Session.Poll(now, _out);
            if (Session.BulkInFlight > 0)
            {
                Session.PollBulk(now, _out);
            }
            _channel.Send(_out);
            if (_channel.Receive(_in, 1) > 0)
            {
                for (int i = 0; i < _in.Count; i++)
                {
                    if (_reader.TryRead(_in[i], out FrameHeader h) == DropReason.None)
                    {
                        Session.OnFrame(h, _in[i], MonotonicClock.NowTicks);
                    }
                }
            }
        }
    }

    /// <summary>Sends what the session has queued, receiving (and acknowledging) nothing.</summary>
    public void SendPending()
    {
        _out.Clear();
        Session.Poll(MonotonicClock.NowTicks, _out);
        _channel.Send(_out);
    }

    public void Send(in MessageHeader header, in Message message) =>
        Assert.That(TrySend(header, message), Is.EqualTo(SendStatus.Ok));

    /// <summary>Queues a message; BackPressured when the session's window is full (pump, then retry).</summary>
    public SendStatus TrySend(in MessageHeader header, in Message message)
    {
        Message m = message;
        return Session.TrySend(header, System.Runtime.InteropServices.MemoryMarshal.AsBytes(new Span<Message>(ref m)));
    }

    /// <summary>Queues a bulk frame (kept referenced until acknowledged: keep it unchanged).</summary>
    public void SendBulk(in MessageHeader header, byte[] data) =>
        Assert.That(Session.TrySendBulk(header, data), Is.EqualTo(SendStatus.Ok));

    public void Dispose() => _channel.Dispose();

    /// <summary>Keeps every message (header and the 64 bytes) the host sends.</summary>
    internal sealed class ReceivedMessages : ISessionSink
    {
        public List<(MessageHeader Header, Message Message)> All { get; } = new();

        public bool TryDeliver(ReliableSession session, in MessageHeader header, ReadOnlySpan<byte> message)
        {
            All.Add((header, System.Runtime.InteropServices.MemoryMarshal.Read<Message>(message)));
            return true;
        }

        public void OnPeerStateChanged(ReliableSession session, PeerState state)
        {
        }

        public void OnPeerReset(ReliableSession session, ulong newIncarnation, int discardedMessages)
        {
        }
    }
}
