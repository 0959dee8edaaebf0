using System.Net;
using System.Net.Sockets;

namespace Dvs.FaultRelay;

/// <summary>One direction of a <see cref="FaultRelay"/>: its own thread, plan and counters.</summary>
internal sealed class RelayDirection
{
    private const int MaxHeld = 16;

    private readonly FaultRelay _relay;
    private readonly Socket _from;
    private readonly Socket _to;
    private readonly IPEndPoint _target;
    private readonly FaultPlan _plan;
    private readonly int _holdMicroseconds;
    private readonly byte[] _buffer = new byte[65536];
    private readonly List<(byte[] Data, int Length, int Remaining)> _held = new();
    private Thread? _thread;

    public RelayDirection(FaultRelay relay, Socket from, Socket to, IPEndPoint target, FaultPlan plan, int holdMilliseconds)
    {
        _relay = relay;
        _from = from;
        _to = to;
        _target = target;
        _plan = plan;
        _holdMicroseconds = holdMilliseconds * 1000;
    }

    public RelayCounters Counters { get; } = new();

    public void Start(string name)
    {
        _thread = new Thread(Run) { IsBackground = true, Name = name };
        _thread.Start();
    }

    public void Join() => _thread?.Join();

    private void Run()
    {
        try
        {
            while (!_relay.Stopping)
            {
                // Wait at most the hold time so held datagrams go out when traffic stops and a
                // stop request is seen promptly.
                if (!_from.Poll(_holdMicroseconds, SelectMode.SelectRead))
                {
                    ReleaseAll();
                    continue;
                }
                int n;
                try
                {
                    n = _from.Receive(_buffer);
                }
                catch (SocketException)
                {
                    continue; // e.g. an ICMP error of an earlier send surfacing here
                }
                Interlocked.Increment(ref Counters.ReceivedCount);
                FaultAction action = _plan.Next();
                if (action.Drop)
                {
                    Interlocked.Increment(ref Counters.DroppedCount);
                    continue;
                }
                if (action.Reorder && _held.Count < MaxHeld)
                {
                    Interlocked.Increment(ref Counters.ReorderedCount);
                    _held.Add((_buffer[..n], n, action.HoldFor));
                    if (action.Duplicate)
                    {
                        Interlocked.Increment(ref Counters.DuplicatedCount);
                        Forward(_buffer, n);
                    }
                    continue;
                }
                Forward(_buffer, n);
                if (action.Duplicate)
                {
                    Interlocked.Increment(ref Counters.DuplicatedCount);
                    Forward(_buffer, n);
                }
                CountDownHeld();
            }
            ReleaseAll();
        }
        catch (ObjectDisposedException) when (_relay.Stopping)
        {
        }
    }

    private void CountDownHeld()
    {
        for (int i = 0; i < _held.Count; i++)
        {
            var h = _held[i];
            if (h.Remaining <= 1)
            {
                Forward(h.Data, h.Length);
                _held.RemoveAt(i);
                i--;
            }
            else
            {
                _held[i] = (h.Data, h.Length, h.Remaining - 1);
            }
        }
    }

    private void ReleaseAll()
    {
        foreach (var h in _held)
        {
            Forward(h.Data, h.Length);
        }
        _held.Clear();
    }

    private void Forward(byte[] data, int length)
    {
        try
        {
            _to.SendTo(data.AsSpan(0, length), SocketFlags.None, _target);
            Interlocked.Increment(ref Counters.ForwardedCount);
        }
        catch (SocketException)
        {
            // The target is not listening (yet): the datagram is lost, as on a network.
        }
    }
}
