namespace Dvs.Tests.Ipc;

/// <summary>Endpoints in separate processes on one node: the real deployment of the hot path.</summary>
[TestFixture]
public class MultiProcessTests
{
    [Test]
    public void AMillionSendRecRoundTripsBetweenProcessesEachAnsweredExactlyOnce()
    {
        using var node = new TestNode();
        using var server = new ChildProcess("server", node.Name, "0", "1");
        server.ExpectLine("ready");
        // Two client processes share the server's ring (MPSC), 500,000 calls each.
        using var c1 = new ChildProcess("client", node.Name, "0", "100", "1", "500000");
        using var c2 = new ChildProcess("client", node.Name, "0", "101", "1", "500000");
        c1.ExpectLine("ready");
        c2.ExpectLine("ready");
        c1.ExpectLine("done 500000");
        c2.ExpectLine("done 500000");
        Assert.That(c1.WaitForExit(), Is.EqualTo(0));
        Assert.That(c2.WaitForExit(), Is.EqualTo(0));

        using Endpoint stopper = node.Node.Bind(0, 102);
        var stop = new Message(-1);
        Assert.That(stopper.SendRec(1, ref stop, DvsTimeout.FromMilliseconds(60_000)), Is.EqualTo(DvsError.Ok));
        Assert.That(stop[0], Is.EqualTo(1_000_000), "the server executed every request exactly once");
        server.ExpectLine("executed 1000000");
        Assert.That(server.WaitForExit(), Is.EqualTo(0));
    }

    [Test]
    public void ServerKilledMidTrafficGivesClientsAnErrorAndTheEndpointCanBeBoundAgain()
    {
        using var node = new TestNode();
        using Endpoint client = node.Node.Bind(0, 100);
        using (var server = new ChildProcess("server", node.Name, "0", "1"))
        {
            server.ExpectLine("ready");
            // Traffic flows...
            for (long i = 0; i < 1000; i++)
            {
                var m = new Message(1) { [0] = i };
                Assert.That(client.SendRec(1, ref m, DvsTimeout.FromMilliseconds(60_000)), Is.EqualTo(DvsError.Ok));
            }
            // ...then the server dies with SIGKILL while a call is in flight.
            var inFlight = Task.Run(() =>
            {
                DvsError e;
                long i = 1000;
                do
                {
                    var m = new Message(1) { [0] = i++ };
                    e = client.SendRec(1, ref m, DvsTimeout.FromMilliseconds(60_000));
                }
                while (e == DvsError.Ok);
                return e;
            });
            server.Kill();
            DvsError error = inFlight.GetAwaiter().GetResult();
            Assert.That(error, Is.AnyOf(DvsError.DstDied, DvsError.NotBind), "a dead server is an error, never a hang");
        }

        // The slot is reclaimed (by the host's reaper or by the caller that noticed).
        node.Host.ReapOnce();
        EndpointInfo? info = node.Node.GetEndpointInfo(0, 1);
        Assert.That(info!.State, Is.EqualTo("free"));
        var probe = new Message(1);
        Assert.That(client.SendRec(1, ref probe, DvsTimeout.NoWait), Is.EqualTo(DvsError.NotBind));

        // A new server binds the same endpoint number and service resumes.
        using var again = new ChildProcess("server", node.Name, "0", "1");
        again.ExpectLine("ready");
        var m2 = new Message(1) { [0] = 0 };
        Assert.That(client.SendRec(1, ref m2, DvsTimeout.FromMilliseconds(60_000)), Is.EqualTo(DvsError.Ok));
        Assert.That(m2[1], Is.EqualTo(1));
    }

    [Test]
    public void ClientKilledWhileHoldingAnEndpointIsReclaimedByTheHost()
    {
        using var node = new TestNode();
        using (var client = new ChildProcess("server", node.Name, "0", "7"))
        {
            client.ExpectLine("ready");
            Assert.That(node.Node.GetEndpointInfo(0, 7)!.State, Is.EqualTo("local"));
            client.Kill();
        }
        node.Host.ReapOnce();
        Assert.That(node.Host.Reclaimed, Is.EqualTo(1));
        Assert.That(node.Node.GetEndpointInfo(0, 7)!.State, Is.EqualTo("free"));
        using Endpoint rebound = node.Node.Bind(0, 7);
        Assert.That(rebound.Number, Is.EqualTo(7));
    }
}
