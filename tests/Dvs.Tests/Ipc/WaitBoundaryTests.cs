using System.Diagnostics;

namespace Dvs.Tests.Ipc;

/// <summary>
/// Where a wait ends: known errors come back at once (issue 11.4), SendRec refuses NoWait before
/// sending anything (11.5), and no call returns TimedOut before its timeout (11.6).
/// </summary>
[TestFixture]
public class WaitBoundaryTests
{
    /// <summary>The error used to come after a 2 s wait for a migration: well under that now.</summary>
    private static readonly TimeSpan Prompt = TimeSpan.FromSeconds(1);

    [Test]
    public void SendRecToAnUnboundEndpointFailsAtOnceEvenWithoutATimeout()
    {
        using var node = new TestNode();
        using Endpoint client = node.Node.Bind(0, 100);
        foreach (DvsTimeout timeout in new[] { DvsTimeout.Forever, DvsTimeout.FromMilliseconds(5000) })
        {
            var m = new Message(1);
            var clock = Stopwatch.StartNew();
            Assert.That(client.SendRec(1, ref m, timeout), Is.EqualTo(DvsError.NotBind));
            Assert.That(clock.Elapsed, Is.LessThan(Prompt), $"NotBind with a {timeout} timeout (it took 2 s)");
        }
    }

    [Test]
    public void ACallerWhoseServerIsUnboundAfterTakingTheRequestGetsDstDiedAtOnce()
    {
        using var node = new TestNode();
        using Endpoint server = node.Node.Bind(0, 1);
        using Endpoint client = node.Node.Bind(0, 100);
        Task<(DvsError, long)> call = Task.Run(() =>
        {
            var m = new Message(1);
            DvsError e = client.SendRec(1, ref m, DvsTimeout.Forever);
            return (e, Stopwatch.GetTimestamp());
        });
        Assert.That(server.ReceiveRequest(out _, DvsTimeout.FromMilliseconds(30_000)), Is.EqualTo(DvsError.Ok));
        long unbound = Stopwatch.GetTimestamp();
        // As the reaper does for a server that died with the request.
        Assert.That(node.Node.Unbind(0, 1), Is.EqualTo(DvsError.Ok));
        Assert.That(call.Wait(TimeSpan.FromSeconds(10)), Is.True, "the caller returns");
        (DvsError error, long at) = call.Result;
        Assert.That(error, Is.EqualTo(DvsError.DstDied));
        Assert.That(Stopwatch.GetElapsedTime(unbound, at), Is.LessThan(Prompt), "DstDied right after the unbind (it took 2 s)");
    }

    [Test]
    public void SendRecRefusesNoWaitAndSendsNothing()
    {
        using var node = new TestNode();
        using Endpoint server = node.Node.Bind(0, 1);
        using Endpoint client = node.Node.Bind(0, 100);
        var m = new Message(7);
        Assert.That(client.SendRec(1, ref m, DvsTimeout.NoWait), Is.EqualTo(DvsError.BadCall));
        Assert.That(m.Type, Is.EqualTo(7), "the message is left as it was");
        Assert.That(client.SendRecAsync(1, new Message(8), DvsTimeout.NoWait).AsTask().Result.Error, Is.EqualTo(DvsError.BadCall));
        Assert.That(server.Receive(EndpointNumber.Any, out _, DvsTimeout.NoWait), Is.EqualTo(DvsError.Again), "nothing was delivered");
        // The checks of the call itself still come first.
        Assert.That(client.SendRec(2, ref m, DvsTimeout.NoWait), Is.EqualTo(DvsError.NotBind));
        Assert.That(client.SendRecAsync(2, m, DvsTimeout.NoWait).AsTask().Result.Error, Is.EqualTo(DvsError.NotBind));
        // And a real call still works after the refusals.
        Task<DvsError> serve = Task.Run(() =>
        {
            DvsError e = server.ReceiveRequest(out Message rq, DvsTimeout.FromMilliseconds(30_000));
            return e == DvsError.Ok ? server.Reply(rq.Source, new Message(rq.Type + 1)) : e;
        });
        Assert.That(client.SendRec(1, ref m, DvsTimeout.FromMilliseconds(30_000)), Is.EqualTo(DvsError.Ok));
        Assert.That((serve.Result, m.Type), Is.EqualTo((DvsError.Ok, 8)));
    }

    [TestCase(1)]
    [TestCase(7)]
    [TestCase(50)]
    public void NoWaitOrTimedCallReturnsTimedOutBeforeItsTimeout(int milliseconds)
    {
        using var node = new TestNode();
        using Endpoint server = node.Node.Bind(0, 1);
        using Endpoint client = node.Node.Bind(0, 2);
        using Endpoint silent = node.Node.Bind(0, 3);
        TimeSpan timeout = TimeSpan.FromMilliseconds(milliseconds);
        var calls = new (string Name, Func<DvsError> Call)[]
        {
            ("Receive", () => server.Receive(EndpointNumber.Any, out _, timeout)),
            ("ReceiveRequest", () => server.ReceiveRequest(out _, timeout)),
            ("ReceiveAsync", () => server.ReceiveAsync(EndpointNumber.Any, timeout).AsTask().Result.Error),
            ("ReceiveRequestAsync", () => server.ReceiveRequestAsync(timeout).AsTask().Result.Error),
            // Endpoint 3 never answers (its ring keeps the requests).
            ("SendRec", () => { var m = new Message(1); return client.SendRec(3, ref m, timeout); }),
            ("SendRecAsync", () => client.SendRecAsync(3, new Message(1), timeout).AsTask().Result.Error),
        };
        for (int round = 0; round < 5; round++)
        {
            foreach ((string name, Func<DvsError> call) in calls)
            {
                var clock = Stopwatch.StartNew();
                DvsError error = call();
                TimeSpan elapsed = clock.Elapsed;
                Assert.That(error, Is.EqualTo(DvsError.TimedOut), name);
                Assert.That(elapsed, Is.GreaterThanOrEqualTo(timeout), $"{name} returned TimedOut before its {milliseconds} ms");
            }
        }
    }
}
