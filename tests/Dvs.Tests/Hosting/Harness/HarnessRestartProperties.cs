using CsCheck;

namespace Dvs.Tests.Hosting.Harness;

/// <summary>
/// Issue 12, on the node-host harness: the receiving node dies and comes back as a new incarnation
/// while a client on another node keeps sending one-way messages. Messages for the old incarnation
/// may be lost with it, but the new one gets what it gets in the order sent, none twice, and every
/// message sent once the client's node knows the new binding.
/// </summary>
[TestFixture]
[NonParallelizable]
public class HarnessRestartProperties
{
    private const int Server = 10;
    private const int Client = 11;

    [Test]
    public void AfterTheReceiverRestartsItGetsEveryMessageSentToItOnceAndInOrder()
    {
        Gen.Select(Gen.Int, Gen.Int[4, 60], Gen.Bool, Gen.Int[0, 300])
            .Sample((seed, count, lossy, downMs) => RestartReceiver(seed, count, lossy, downMs), iter: 8, threads: 1);
    }

    private static void RestartReceiver(int seed, int count, bool lossy, int downMs)
    {
        string label = $"seed {seed}, {count}, lossy {lossy}, down {downMs} ms";
        var random = new Random(seed);
        using var h = lossy ? new NodeHarness(seed, drop: 0.1, duplicate: 0.05, reorder: 0.1, ringCapacity: 4) : new NodeHarness(seed, ringCapacity: 4);
        Endpoint server = h[1].Node.Bind(NodeHarness.Dc, Server);
        using Endpoint sender = h[0].Node.Bind(NodeHarness.Dc, Client);
        h.RunUntil(() => h[0].Node.GetEndpointInfo(NodeHarness.Dc, Server)?.State == "remote", "the server's bind announced");
        int next = 0;
        int firstAfter = -1;   // the first message sent once node 0 knew the new binding
        var failed = new Dictionary<DvsError, int>();
        var received = new List<long>();
        int limit = count;
        void Send()
        {
            if (next >= limit || random.Next(2) != 0)
            {
                return;
            }
            var m = new Message(1);
            m[0] = next;
            DvsError error = sender.Send(Server, in m, DvsTimeout.NoWait);
            if (error is DvsError.Again or DvsError.TimedOut)
            {
                return;   // a full ring: the same message later
            }
            if (error != DvsError.Ok)
            {
                Assert.That(firstAfter, Is.LessThan(0), $"message {next} refused ({error}) after the new binding was known ({label})");
                failed[error] = failed.GetValueOrDefault(error) + 1;
            }
            next++;
        }
        void Receive()
        {
            if (random.Next(3) == 0 && server.Receive(EndpointNumber.Any, out Message m, DvsTimeout.NoWait) == DvsError.Ok)
            {
                received.Add(m[0]);
            }
        }

        h.RunUntil(() => next >= count / 2, "half the messages sent", () =>
        {
            Send();
            Receive();
        });
        h.Kill(1);
        limit = count * 3 / 4;   // some sent while it is down and until the new binding is known, the rest after
        long back = h.Now + downMs * NodeHarness.Ms;
        h.RunUntil(() => h.Now >= back, "the node down", Send);
        server.Dispose();
        received.Clear();   // the old incarnation's; the property is about the new one
        server = h.Restart(1).Node.Bind(NodeHarness.Dc, Server);
        try
        {
            h.RunUntil(() =>
            {
                if (firstAfter < 0 && h[0].Node.GetCounter(NodeCounter.PeerRestarts) > 0 &&
                    h[0].Node.GetEndpointInfo(NodeHarness.Dc, Server)?.State == "remote")
                {
                    firstAfter = next;
                    limit = count;   // the last quarter, to the new binding
                }
                return firstAfter >= 0 && next == count && (firstAfter == count || (received.Count > 0 && received[^1] == count - 1));
            }, $"the last message at the new incarnation ({label})", () =>
            {
                Send();
                Receive();
            });
            h.Run(2000, () =>   // a duplicate would come now
            {
                Receive();
            });
            Assert.That(received, Is.Ordered.And.Unique, $"in order, once each ({label})");
            Assert.That(received.Where(r => r >= firstAfter), Is.EqualTo(Enumerable.Range(firstAfter, count - firstAfter).Select(i => (long)i)),
                $"every message from {firstAfter} on ({label})");
            TestContext.Out.WriteLine($"{label}: new binding known from message {firstAfter}; got {received.Count} there; refused " +
                string.Join(", ", failed.Select(f => $"{f.Key} x{f.Value}")));
        }
        finally
        {
            server.Dispose();
        }
    }
}
