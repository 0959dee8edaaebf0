using Dvs.Transport;

namespace Dvs.Tests.Transport;

/// <summary>
/// One side of a session test: a session, its reader, channel and sink, pumped by the test
/// (Poll and send, then receive and dispatch), with a sender that numbers its messages.
/// </summary>
internal sealed class SessionNode
{
    private readonly DatagramBatch _out;
    private readonly DatagramBatch _in;

    public SessionNode(int node, int peer, ulong incarnation, IDatagramChannel channel, SessionOptions options, long now)
    {
        Channel = channel;
        Drops = new DropCounters();
        Sink = new RecordingSink();
        Reader = new FrameReader(TransportTestKit.Credentials, node, (1UL << node) | (1UL << peer), options.Mtu, Drops);
        Session = new ReliableSession(options, TransportTestKit.Credentials, node, peer, incarnation, Sink, Drops, now);
        _out = new DatagramBatch(64, options.Mtu);
        _in = new DatagramBatch(64, options.Mtu + 1);
    }

    public ReliableSession Session { get; }

    public RecordingSink Sink { get; }

    public DropCounters Drops { get; }

    public FrameReader Reader { get; }

    public IDatagramChannel Channel { get; }

    /// <summary>Messages accepted by the session so far (the next value to send).</summary>
    public long Offered { get; private set; }

    /// <summary>Numbering starts over (after the peer restarted).</summary>
    public void RestartNumbering() => Offered = 0;

    /// <summary>Times TrySend answered BackPressured.</summary>
    public long BackPressured { get; private set; }

    /// <summary>Offers up to <paramref name="count"/> more messages, until <paramref name="total"/>.</summary>
    public void Offer(int count, long total)
    {
        for (int i = 0; i < count && Offered < total; i++)
        {
            var header = new MessageHeader((ushort)(Offered % 32), 1, 42, 0, (uint)Offered);
            SendStatus status = Session.TrySend(header, TransportTestKit.Message(Offered));
            if (status == SendStatus.BackPressured)
            {
                BackPressured++;
                return;
            }
            if (status != SendStatus.Ok)
            {
                throw new InvalidOperationException($"TrySend: {status}");
            }
            Offered++;
        }
    }

    /// <summary>Polls the session and sends what it produced.</summary>
    public int Flush(long now)
    {
        int total = 0;
        int n;
        do
        {
            _out.Clear();
            n = Session.Poll(now, _out);
            Channel.Send(_out);
            total += n;
        }
        while (_out.IsFull);
        return total;
    }

    /// <summary>Receives what arrived and hands valid frames to the session.</summary>
    public void Pump(long now)
    {
        while (Channel.Receive(_in, 0) > 0)
        {
            for (int i = 0; i < _in.Count; i++)
            {
                ReadOnlySpan<byte> d = _in[i];
                if (Reader.TryRead(d, out FrameHeader h) == DropReason.None)
                {
                    Session.OnFrame(h, d, now);
                }
            }
        }
    }
}
