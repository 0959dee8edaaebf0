namespace Dvs.Tests.Ipc;

/// <summary>Every kind of wait of a node ends with HostDown when its host stops (issue 11.8, in one process).</summary>
[TestFixture]
public class HostShutdownTests
{
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(10);

    [Test]
    public void WaitsOfTheNodeEndWithHostDownWhenTheHostStops()
    {
        var node = new TestNode();
        try
        {
            Endpoint receiver = node.Node.Bind(0, 1);
            Endpoint caller = node.Node.Bind(0, 2);
            Endpoint silent = node.Node.Bind(0, 3);
            var waits = new (string Name, Task<DvsError> Wait)[]
            {
                ("Receive", Task.Run(() => receiver.Receive(EndpointNumber.Any, out _, DvsTimeout.Forever))),
                ("SendRec", Task.Run(() => { var m = new Message(1); return caller.SendRec(3, ref m, DvsTimeout.Forever); })),
                ("WaitForBind", Task.Run(() => node.Node.WaitForBind(0, 4, DvsTimeout.Forever, out _))),
                ("WaitForRemote", Task.Run(() => node.Node.WaitForRemote(0, 5, DvsTimeout.Forever))),
            };
            Assert.That(silent.Receive(EndpointNumber.Any, out _, DvsTimeout.FromMilliseconds(30_000)), Is.EqualTo(DvsError.Ok),
                "the SendRec is waiting for its reply");
            node.Host.Dispose();
            foreach ((string name, Task<DvsError> wait) in waits)
            {
                Assert.That(wait.Wait(Guard), Is.True, $"{name} returns");
                Assert.That(wait.Result, Is.EqualTo(DvsError.HostDown), name);
            }
            Assert.That(receiver.Send(2, new Message(1), DvsTimeout.NoWait), Is.EqualTo(DvsError.HostDown), "and new calls fail at once");
            receiver.Dispose();
            caller.Dispose();
            silent.Dispose();
        }
        finally
        {
            node.Dispose();
        }
    }
}
