namespace Dvs.Tests.Hosting;

/// <summary>
/// `dvs status` shows a remote endpoint the same way on every node (issue 11: one node named a
/// remote service "ep10", the name left in its slot by an earlier local binding, another nothing).
/// Names do not travel between nodes, so a remote endpoint has none anywhere.
/// </summary>
[TestFixture]
public class RemoteEndpointNameTests
{
    private static readonly DvsTimeout Long = DvsTimeout.FromMilliseconds(30_000);

    [Test]
    public void ARemoteEndpointHasNoNameOnANodeThatOnceBoundItItself()
    {
        using var nodes = new TwoNodes();
        // Node 1 binds 10 first (its slot gets the name ep10), then lets it go.
        // Node 0 sees the bind, then the unbind (announced in that order), before it binds 10 itself:
        // binding while node 1's announcement still travels is refused (RmtProc), not this test's case.
        Endpoint first = nodes.Node1.Bind(0, 10);
        Assert.That(nodes.Node0.WaitForRemote(0, 10, Long), Is.EqualTo(DvsError.Ok));
        first.Dispose();
        Assert.That(SpinWait.SpinUntil(() => nodes.Node0.GetEndpointInfo(0, 10)?.State == "free", TimeSpan.FromSeconds(30)), Is.True,
            "node 0 learns of the unbind");
        using Endpoint server = nodes.Node0.Bind(0, 10, "kv");
        Assert.That(nodes.Node1.WaitForRemote(0, 10, Long), Is.EqualTo(DvsError.Ok));

        EndpointInfo seen = nodes.Node1.GetEndpointInfo(0, 10)!;

        Assert.That((seen.State, seen.Name), Is.EqualTo(("remote", "")));
        Assert.That(nodes.Node0.GetEndpointInfo(0, 10)!.Name, Is.EqualTo("kv"));
    }
}
