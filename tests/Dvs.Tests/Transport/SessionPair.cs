using Dvs.Transport;
using NUnit.Framework;
using static Dvs.Tests.Transport.TransportTestKit;

namespace Dvs.Tests.Transport;

/// <summary>Nodes A and B with a session each over a <see cref="LossyNetwork"/>, stepped on
/// virtual time by the test.</summary>
internal sealed class SessionPair
{
    private const long Ms = TimeSpan.TicksPerMillisecond;

    public SessionPair(LossyNetwork network, SessionOptions options)
    {
        Network = network;
        Options = options;
        A = new SessionNode(NodeA, NodeB, 1000, network.Connect(NodeA), options, 0);
        B = new SessionNode(NodeB, NodeA, 2000, network.Connect(NodeB), options, 0);
    }

    /// <summary>Virtual time per <see cref="Tick"/>.</summary>
    public long Step { get; init; } = Ms / 10;

    public LossyNetwork Network { get; }

    public SessionOptions Options { get; }

    public SessionNode A { get; }

    public SessionNode B { get; set; }

    public long Now { get; private set; }

    public bool PumpA { get; set; } = true;

    public bool PumpB { get; set; } = true;

    public void Tick()
    {
        Now += Step;
        Network.Now = Now;
        if (PumpA)
        {
            A.Flush(Now);
            A.Pump(Now);
        }
        if (PumpB)
        {
            B.Flush(Now);
            B.Pump(Now);
        }
    }

    /// <summary>Ticks until <paramref name="done"/>; fails the test after <paramref name="maxTicks"/>
    /// of virtual time.</summary>
    public void RunUntil(Func<bool> done, long maxTicks, string what)
    {
        long end = Now + maxTicks;
        while (!done())
        {
            if (Now > end)
            {
                Assert.Fail($"not done after {maxTicks / Ms} ms of virtual time: {what}; " +
                    $"A got {A.Sink.Next}, B got {B.Sink.Next}; A drops: {A.Drops}; B drops: {B.Drops}");
            }
            Tick();
        }
    }

    public void Handshake() =>
        RunUntil(() => A.Session.State == PeerState.Up && B.Session.State == PeerState.Up
            && A.Session.PeerIncarnation != 0 && B.Session.PeerIncarnation != 0, 1000 * Ms, "handshake");
}
