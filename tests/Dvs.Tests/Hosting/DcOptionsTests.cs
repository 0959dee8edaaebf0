namespace Dvs.Tests.Hosting;

/// <summary>
/// The DC options say what they do (issue 11.25): setting <see cref="NodeHostOptions.Dcs"/> replaces
/// the default DC 0 (a collection initializer used to add to it), and NrSysProcs counts slots from
/// the first task slot, as DVS's nr_sysprocs does, so the privileged endpoints are
/// -NrTasks .. NrSysProcs - NrTasks - 1.
/// </summary>
[TestFixture]
public class DcOptionsTests
{
    [Test]
    public void DcsGivenInAnInitializerReplaceTheDefaultDc()
    {
        var options = new NodeHostOptions { NodeName = Name(), Dcs = { new DcOptions { DcId = 1, Name = "one" } } };

        Assert.That(options.Dcs.Select(d => d.DcId), Is.EqualTo(new[] { 1 }));
        using NodeHost host = NodeHost.Start(options);
        using Node node = host.Attach();
        Assert.Throws<DvsException>(() => node.Bind(0, 10).Dispose(), "DC 0 must not run: only DC 1 was asked for");
        using Endpoint one = node.Bind(1, 10);
        Assert.That(one.DcId, Is.EqualTo(1));
    }

    [Test]
    public void WithoutDcsTheNodeRunsDcZero()
    {
        var options = new NodeHostOptions { NodeName = Name() };

        Assert.That(options.Dcs.Select(d => d.DcId), Is.EqualTo(new[] { 0 }));
        using NodeHost host = NodeHost.Start(options);
        using Node node = host.Attach();
        using Endpoint zero = node.Bind(0, 10);
        Assert.That(zero.DcId, Is.EqualTo(0));
    }

    [Test]
    public void TheDefaultDcLeavesAUserAddingAfterTheInitializerAlone()
    {
        var options = new NodeHostOptions { NodeName = Name(), Dcs = { new DcOptions { DcId = 1 } } };
        options.Dcs.Add(new DcOptions { DcId = 2, Name = "two" });

        Assert.That(options.Dcs.Select(d => d.DcId), Is.EqualTo(new[] { 1, 2 }));
    }

    [Test]
    public void NrSysProcsCountsTheTaskSlotsAsInDvs()
    {
        var dc = new DcOptions { NrTasks = 35, NrSysProcs = 64 };

        Assert.That(dc.FirstUserEndpoint, Is.EqualTo(29));
        using NodeHost host = NodeHost.Start(new NodeHostOptions { NodeName = Name(), Dcs = [dc] });
        using Node node = host.Attach();
        using Endpoint task = node.Bind(0, -35), last = node.Bind(0, 28), user = node.Bind(0, 29);
        Assert.That((task.IsPrivileged, last.IsPrivileged, user.IsPrivileged), Is.EqualTo((true, true, false)));
    }

    [Test]
    public void FewerSysProcsThanTasksIsRefused()
    {
        // Some task slots (negative endpoints) would not be privileged: never what DVS meant.
        var options = new NodeHostOptions { NodeName = Name(), Dcs = [new DcOptions { NrTasks = 35, NrSysProcs = 10 }] };

        var e = Assert.Throws<DvsException>(() => NodeHost.Start(options).Dispose())!;

        Assert.That(e.Message, Does.Contain("NrSysProcs 10 is less than NrTasks (35)"));
    }

    private static string Name() => "dco-" + Guid.NewGuid().ToString("N")[..10];
}
