using System.Net;
using System.Net.Sockets;

namespace Dvs.FaultRelay;

/// <summary>
/// Forwards UDP datagrams between two sides A and B through two sockets of its own, dropping,
/// duplicating and reordering them as a seeded <see cref="FaultPlan"/> says. A sends to
/// <see cref="ForA"/> and B to <see cref="ForB"/>; what reaches A seems to come from ForA, what
/// reaches B from ForB, so each side sees one stable address for the other. One thread per
/// direction, blocking in receive with a short timeout (no spinning). Dispose stops both.
/// </summary>
public sealed class FaultRelay : IDisposable
{
    private readonly Socket _forA;
    private readonly Socket _forB;
    private readonly RelayDirection _aToB;
    private readonly RelayDirection _bToA;
    private volatile bool _stopping;
    private bool _started;

    /// <param name="a">Where side A receives.</param>
    /// <param name="b">Where side B receives.</param>
    /// <param name="options">Fault probabilities and seed.</param>
    /// <param name="listenForA">Local address A sends to (port 0: any free port on 127.0.0.1).</param>
    /// <param name="listenForB">Local address B sends to.</param>
    public FaultRelay(IPEndPoint a, IPEndPoint b, FaultOptions options, IPEndPoint? listenForA = null,
        IPEndPoint? listenForB = null)
    {
        options.Validate();
        _forA = Bind(listenForA ?? new IPEndPoint(IPAddress.Loopback, 0));
        try
        {
            _forB = Bind(listenForB ?? new IPEndPoint(IPAddress.Loopback, 0));
        }
        catch
        {
            _forA.Dispose();
            throw;
        }
        ForA = (IPEndPoint)_forA.LocalEndPoint!;
        ForB = (IPEndPoint)_forB.LocalEndPoint!;
        _aToB = new RelayDirection(this, _forA, _forB, b, new FaultPlan(options, 0), options.HoldMilliseconds);
        _bToA = new RelayDirection(this, _forB, _forA, a, new FaultPlan(options, 1), options.HoldMilliseconds);
    }

    /// <summary>Side A sends here to reach B.</summary>
    public IPEndPoint ForA { get; }

    /// <summary>Side B sends here to reach A.</summary>
    public IPEndPoint ForB { get; }

    public RelayCounters AToB => _aToB.Counters;

    public RelayCounters BToA => _bToA.Counters;

    internal bool Stopping => _stopping;

    /// <summary>Starts the two forwarding threads.</summary>
    public void Start()
    {
        if (_started)
        {
            throw new InvalidOperationException("already started");
        }
        _started = true;
        _aToB.Start("relay a->b");
        _bToA.Start("relay b->a");
    }

    /// <summary>Stops the threads (within one receive timeout) and closes the sockets.</summary>
    public void Dispose()
    {
        _stopping = true;
        _aToB.Join();
        _bToA.Join();
        _forA.Dispose();
        _forB.Dispose();
    }

    private static Socket Bind(IPEndPoint local)
    {
        var s = new Socket(local.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            s.ReceiveBufferSize = 4 << 20;
            s.SendBufferSize = 4 << 20;
            s.Bind(local);
            return s;
        }
        catch
        {
            s.Dispose();
            throw;
        }
    }
}
