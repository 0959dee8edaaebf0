namespace Dvs.Tests.Hosting;

/// <summary>
/// Issue 11.12: a node's incarnation only grows across restarts of its host, even when the wall
/// clock is set back between them (peers drop frames of an incarnation older than one they saw).
/// </summary>
[TestFixture]
public class NodeIncarnationTests
{
    [Test]
    public void ARestartAfterTheClockWasSetBackGetsALargerIncarnation()
    {
        string name = "incarn-" + Guid.NewGuid().ToString("N")[..8];
        ulong wallClock = 1_800_000_000_000_000_000;   // ns since 1970, in 2027
        var options = new NodeHostOptions { NodeName = name, IncarnationClock = () => wallClock };
        ulong first, second, third;
        try
        {
            using (NodeHost host = NodeHost.Start(options))
            {
                first = host.Incarnation;
            }
            wallClock -= 3_600_000_000_000;   // the clock steps back an hour
            using (NodeHost host = NodeHost.Start(options))
            {
                second = host.Incarnation;
            }
            wallClock = 1;   // and to the epoch
            using (NodeHost host = NodeHost.Start(options))
            {
                third = host.Incarnation;
            }
        }
        finally
        {
            File.Delete(Dvs.Ipc.NodeIncarnation.PathOf(name));
        }

        Assert.That(first, Is.GreaterThanOrEqualTo(1_800_000_000_000_000_000UL), "the first start follows the clock");
        Assert.That(second, Is.GreaterThan(first));
        Assert.That(third, Is.GreaterThan(second));
    }
}
