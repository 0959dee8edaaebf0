namespace Dvs.Tests.Hosting;

/// <summary>
/// Bad <see cref="NodeHostOptions"/> are refused by <see cref="NodeHost.Start"/> before the segment
/// is touched, with a message naming the option and its value (issue 11.16: each gave
/// "shm_unlink(/dvs-X): No such file or directory (BadFile)"), and nothing is left in /dev/shm.
/// </summary>
[TestFixture]
public class NodeHostOptionsTests
{
    private static IEnumerable<TestCaseData> BadOptions()
    {
        yield return new TestCaseData(new Action<NodeHostOptions>(o => o.RingCapacity = 100), "RingCapacity 100").SetName("RingCapacity100");
        yield return new TestCaseData(new Action<NodeHostOptions>(o => o.RingCapacity = 1 << 20), "RingCapacity 1048576").SetName("RingCapacityTooLarge");
        yield return new TestCaseData(new Action<NodeHostOptions>(o => o.NodeId = 40), "NodeId 40").SetName("NodeId40");
        yield return new TestCaseData(new Action<NodeHostOptions>(o => o.Dcs = [new DcOptions { DcId = 40 }]), "DcId 40").SetName("DcId40");
        yield return new TestCaseData(new Action<NodeHostOptions>(o => o.Dcs = [new DcOptions { DcId = 1 }, new DcOptions { DcId = 1, Name = "b" }]),
            "DcId 1 is configured twice").SetName("DuplicateDcId");
        yield return new TestCaseData(new Action<NodeHostOptions>(o => o.Dcs = [new DcOptions { NrProcs = 10, NrTasks = 5, NrSysProcs = 16 }]),
            "NrSysProcs 16").SetName("NrSysProcsAboveSlots");
        yield return new TestCaseData(new Action<NodeHostOptions>(o => o.Dcs = [new DcOptions { NrTasks = 36 }]), "NrTasks 36").SetName("NrTasks36");
        yield return new TestCaseData(new Action<NodeHostOptions>(o => o.Dcs = [new DcOptions { NrProcs = 0 }]), "NrProcs 0").SetName("NrProcs0");
        yield return new TestCaseData(new Action<NodeHostOptions>(o => o.Network = new NetworkOptions
        {
            Listen = new System.Net.IPEndPoint(System.Net.IPAddress.IPv6Loopback, 0),
            ClusterKey = TwoNodes.Key,
        }), "Network.Listen [::1]:0 is an IPv6 address").SetName("Ipv6Listen");
        yield return new TestCaseData(new Action<NodeHostOptions>(o => o.Network = new NetworkOptions
        {
            Peers = { new PeerOptions { NodeId = 1, Name = "b", Address = new System.Net.IPEndPoint(System.Net.IPAddress.IPv6Loopback, 7101) } },
            ClusterKey = TwoNodes.Key,
        }), "peer 'b' (node 1): Address [::1]:7101 is an IPv6 address").SetName("Ipv6Peer");
    }

    [TestCaseSource(nameof(BadOptions))]
    public void BadOptionsAreRefusedByNameBeforeTheSegmentIsCreated(Action<NodeHostOptions> spoil, string named)
    {
        string name = "opt-" + Guid.NewGuid().ToString("N")[..10];
        var options = new NodeHostOptions { NodeName = name };
        spoil(options);

        var e = Assert.Throws<DvsException>(() => NodeHost.Start(options).Dispose())!;

        Assert.That(e.Error, Is.EqualTo(DvsError.BadValue), e.Message);
        Assert.That(e.Message, Does.Contain(named).And.Not.Contain("shm_unlink"));
        Assert.That(File.Exists($"/dev/shm/dvs-{name}"), Is.False);
    }

    [Test]
    public void ASegmentThatCannotBeCreatedReportsTheCreatesOwnError()
    {
        // Below NodeHost's checks: the shim's reason, not the clean-up's "shm_unlink: No such file".
        var options = new NodeHostOptions { NodeName = "seg-" + Guid.NewGuid().ToString("N")[..10], RingCapacity = 100 };

        var e = Assert.Throws<DvsException>(() => Dvs.Ipc.NodeSegment.Create(options).Dispose())!;

        Assert.That(e.Message, Does.Contain("ring capacity 100 is not a power of two").And.Not.Contain("shm_unlink"));
    }
}
