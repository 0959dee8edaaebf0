namespace Dvs.Tests.Ipc;

/// <summary>A node host with a unique name for one test, removed when disposed.</summary>
internal sealed class TestNode : IDisposable
{
    public TestNode(int ringCapacity = 256, int nrProcs = 221, int nrTasks = 35, int nrSysProcs = 64, WaitStrategy? wait = null)
    {
        Host = NodeHost.Start(new NodeHostOptions
        {
            NodeName = "t" + Guid.NewGuid().ToString("N")[..12],
            RingCapacity = ringCapacity,
            Dcs = new List<DcOptions> { new() { DcId = 0, NrProcs = nrProcs, NrTasks = nrTasks, NrSysProcs = nrSysProcs } },
        });
        Node = Host.Attach(wait);
    }

    public NodeHost Host { get; }
    public Node Node { get; }
    public string Name => Host.NodeName;

    public void Dispose()
    {
        Node.Dispose();
        Host.Dispose();
    }
}
