using Dvs.Services;

namespace Dvs.Tests.Services;

/// <summary>Every way a migration can fail ends with a clear error and a service that still answers.</summary>
[TestFixture]
public class MigrationFaultTests
{
    private static readonly DvsTimeout Long = DvsTimeout.FromMilliseconds(30_000);
    private const int Server = 10;

    private static long Increment(Endpoint client)
    {
        var m = new Message(KeyValueService.Increment) { [0] = client.Number };
        DvsError e = client.SendRec(Server, ref m, Long);
        Assert.That(e, Is.EqualTo(DvsError.Ok));
        return m[0];
    }

    [Test]
    public void AMigrationToANodeOutsideTheDcIsRefused()
    {
        using var cluster = new ThreeNodes(dcNodes: 0b011);
        cluster.Hosts[0].HostService(0, Server, KeyValueService.KindName);
        MigrationResult result = cluster.Hosts[0].Migrate(0, Server, 2);
        Assert.That(result.Error, Is.EqualTo(DvsError.DcNode), result.ToString());
        Assert.That(result.Phase, Is.EqualTo("start"));
        Assert.That(cluster.Hosts[0].FindService(0, Server), Is.Not.Null);
    }

    [Test]
    public void AnEndpointThatIsNotAHostedServiceCannotMigrate()
    {
        using var cluster = new ThreeNodes();
        using Endpoint plain = cluster.Nodes[0].Bind(0, Server);
        Assert.That(cluster.Hosts[0].Migrate(0, Server, 1).Error, Is.EqualTo(DvsError.NotBind));
    }

    [Test]
    public void TwoMigrationsOfOneEndpointAtOnceAreRefused()
    {
        using var cluster = new ThreeNodes();
        cluster.Hosts[0].HostService(0, Server, KeyValueService.KindName);
        Assert.That(cluster.Hosts[0].MigrateStart(0, Server, 1), Is.EqualTo(DvsError.Ok));
        Assert.That(cluster.Hosts[0].MigrateStart(0, Server, 2), Is.EqualTo(DvsError.Migrate));
        Assert.That(cluster.Hosts[0].MigrateRollback(0, Server), Is.EqualTo(DvsError.Ok));
        using Endpoint client = cluster.Nodes[2].Bind(0, 100);
        Assert.That(cluster.Nodes[2].WaitForRemote(0, Server, Long), Is.EqualTo(DvsError.Ok));
        Assert.That(Increment(client), Is.EqualTo(1), "rolled back: still served by node 0");
    }

    [Test]
    public void ATargetThatCannotRestoreTheServiceRollsTheMigrationBack()
    {
        using var cluster = new ThreeNodes(registerKv: false);   // only node 0 knows the kind "kv"
        cluster.Hosts[0].HostService(0, Server, KeyValueService.KindName);
        using Endpoint client = cluster.Nodes[1].Bind(0, 100);
        Assert.That(cluster.Nodes[1].WaitForRemote(0, Server, Long), Is.EqualTo(DvsError.Ok));
        Assert.That(Increment(client), Is.EqualTo(1));
        MigrationResult result = cluster.Hosts[0].Migrate(0, Server, 1);
        Assert.That(result.Error, Is.EqualTo(DvsError.BadValue), result.ToString());
        Assert.That(result.Phase, Is.EqualTo("prepare"));
        Assert.That(Increment(client), Is.EqualTo(2), "the old node serves again, state intact");
        Assert.That(cluster.Hosts[0].FindService(0, Server), Is.Not.Null);
    }

    [Test]
    public void AMigrationThatCannotFinishInTheConfiguredTimeRollsBack()
    {
        using var cluster = new ThreeNodes();
        var service = (KeyValueService)cluster.Hosts[0].HostService(0, Server, KeyValueService.KindName).Service;
        service.Ballast = 8 << 20;   // 8 MiB of state cannot cross in 1 ms
        cluster.Hosts[0].MigrationTimeout = TimeSpan.FromMilliseconds(1);
        MigrationResult result = cluster.Hosts[0].Migrate(0, Server, 1);
        Assert.That(result.Error, Is.EqualTo(DvsError.TimedOut), result.ToString());
        cluster.Hosts[0].MigrationTimeout = TimeSpan.FromSeconds(30);
        using Endpoint client = cluster.Nodes[1].Bind(0, 100);
        Assert.That(cluster.Nodes[1].WaitForRemote(0, Server, Long), Is.EqualTo(DvsError.Ok));
        Assert.That(Increment(client), Is.EqualTo(1));
        Assert.That(cluster.Hosts[0].FindService(0, Server), Is.Not.Null, "served by the old node");
        // And a later migration with time enough goes through, the ballast with it.
        MigrationResult again = cluster.Hosts[0].Migrate(0, Server, 1);
        Assert.That(again.Error, Is.EqualTo(DvsError.Ok), again.ToString());
        Assert.That(again.StateBytes, Is.GreaterThan(8 << 20));
        Assert.That(Increment(client), Is.EqualTo(2));
    }

    [Test]
    public void ATargetThatDiesBeforeCommitLeavesTheServiceOnTheOldNode()
    {
        var cluster = new ThreeNodes();
        try
        {
            cluster.Hosts[0].HostService(0, Server, KeyValueService.KindName);
            using Endpoint client = cluster.Nodes[2].Bind(0, 100);
            Assert.That(cluster.Nodes[2].WaitForRemote(0, Server, Long), Is.EqualTo(DvsError.Ok));
            Assert.That(Increment(client), Is.EqualTo(1));
            Assert.That(cluster.Hosts[0].MigrateStart(0, Server, 1), Is.EqualTo(DvsError.Ok));
            cluster.Nodes[1].Dispose();
            cluster.Hosts[1].Dispose();   // the target goes silent after READY
            // Once node 0 has declared the target down, commit refuses and rolls back.
            Assert.That(SpinWait.SpinUntil(() => cluster.Nodes[0].GetPeerState(1) == "down", TimeSpan.FromSeconds(30)), Is.True);
            Assert.That(cluster.Hosts[0].MigrateCommit(0, Server), Is.EqualTo(DvsError.NotConnected));
            Assert.That(Increment(client), Is.EqualTo(2), "the old node serves again");
        }
        finally
        {
            cluster.Nodes[0].Dispose();
            cluster.Nodes[2].Dispose();
            cluster.Hosts[0].Dispose();
            cluster.Hosts[2].Dispose();
        }
    }

    [Test]
    public void WhenTheOldNodeDiesAfterCommitClientsGoOnWithTheNewOne()
    {
        var cluster = new ThreeNodes();
        try
        {
            cluster.Hosts[0].HostService(0, Server, KeyValueService.KindName);
            using Endpoint client = cluster.Nodes[2].Bind(0, 100);
            Assert.That(cluster.Nodes[2].WaitForRemote(0, Server, Long), Is.EqualTo(DvsError.Ok));
            Assert.That(Increment(client), Is.EqualTo(1));
            Assert.That(cluster.Hosts[0].Migrate(0, Server, 1).Error, Is.EqualTo(DvsError.Ok));
            cluster.Nodes[0].Dispose();
            cluster.Hosts[0].Dispose();
            for (long i = 2; i < 200; i++)
            {
                Assert.That(Increment(client), Is.EqualTo(i));
            }
            Assert.That(cluster.Hosts[1].FindService(0, Server), Is.Not.Null);
        }
        finally
        {
            cluster.Nodes[1].Dispose();
            cluster.Nodes[2].Dispose();
            cluster.Hosts[1].Dispose();
            cluster.Hosts[2].Dispose();
        }
    }
}

[TestFixture]
public class MigrationDuringVCopyTests
{
    private const int Server = 10;

    [Test]
    public void AnEndpointInTheMiddleOfAVCopyCannotMigrate()
    {
        using var cluster = new ThreeNodes();
        cluster.Hosts[0].HostService(0, Server, KeyValueService.KindName);
        using Endpoint puller = cluster.Nodes[1].Bind(0, 20);
        Assert.That(cluster.Nodes[1].WaitForRemote(0, Server, DvsTimeout.FromMilliseconds(30_000)), Is.EqualTo(DvsError.Ok));
        // The server's process (the host, this process) is the copy's source: node 0 serves it.
        MigrateDuringACopy(cluster, (s, d, size) => puller.VCopy(Server, s, 20, d, size),
            started: _ => cluster.Nodes[0].GetCounter(NodeCounter.CopiesInProgress) > 0);
    }

    [Test]
    public void AnEndpointAVCopyFromAnotherNodeIsWritingIntoCannotMigrate()
    {
        using var cluster = new ThreeNodes();
        cluster.Hosts[0].HostService(0, Server, KeyValueService.KindName);
        using Endpoint pusher = cluster.Nodes[1].Bind(0, 21);
        Assert.That(cluster.Nodes[1].WaitForRemote(0, Server, DvsTimeout.FromMilliseconds(30_000)), Is.EqualTo(DvsError.Ok));
        // Node 1 streams the pusher's bytes into the server's process (this one) on node 0.
        MigrateDuringACopy(cluster, (s, d, size) => pusher.VCopy(21, s, Server, d, size),
            started: target => Volatile.Read(ref target[0]) == Marker);
    }

    private const byte Marker = 0x5a;

    /// <summary>
    /// Starts a 48 MB copy (long enough to be caught in the middle), waits until
    /// <paramref name="started"/> sees it under way, then migrates the server: refused with
    /// OnCopy; the copy completes intact; afterwards the migration goes through.
    /// </summary>
    private static unsafe void MigrateDuringACopy(ThreeNodes cluster, Func<nint, nint, long, DvsError> copyCall, Func<byte[], bool> started)
    {
        const int size = 48 << 20;
        byte[] source = GC.AllocateArray<byte>(size, pinned: true);
        byte[] target = GC.AllocateArray<byte>(size, pinned: true);
        source.AsSpan(0, 4096).Fill(Marker);
        nint s, d;
        fixed (byte* ps = source, pd = target)
        {
            s = (nint)ps;
            d = (nint)pd;
        }
        Task<DvsError> copy = Task.Run(() => copyCall(s, d, size));
        Assert.That(SpinWait.SpinUntil(() => started(target) || copy.IsCompleted, TimeSpan.FromSeconds(30)), Is.True);
        if (copy.IsCompleted)
        {
            Assert.Inconclusive("the copy finished before the migration could be tried");
        }
        MigrationResult result = cluster.Hosts[0].Migrate(0, Server, 2);
        if (copy.IsCompleted && result.Error == DvsError.Ok)
        {
            Assert.Inconclusive("the copy finished while the migration was tried");
        }
        Assert.That(result.Error, Is.EqualTo(DvsError.OnCopy), result.ToString());
        Assert.That(copy.GetAwaiter().GetResult(), Is.EqualTo(DvsError.Ok));
        Assert.That(target.AsSpan(0, 4096).SequenceEqual(source.AsSpan(0, 4096)), Is.True);
        Assert.That(cluster.Hosts[0].Migrate(0, Server, 2).Error, Is.EqualTo(DvsError.Ok), "and once the copy is done it can");
    }

    [Test]
    public unsafe void AnEndpointALocalVCopyIsUsingCannotMigrateUntilTheCopyEnds()
    {
        using var cluster = new ThreeNodes();
        cluster.Hosts[0].HostService(0, Server, KeyValueService.KindName);
        Assert.That(cluster.Nodes[2].WaitForRemote(0, Server, DvsTimeout.FromMilliseconds(30_000)), Is.EqualTo(DvsError.Ok));
        Dvs.Ipc.DcView dc = cluster.Hosts[0].FindService(0, Server)!.Endpoint.Dc;
        Dvs.Layout.EndpointSlot* slot = dc.Slot(dc.SlotIndexOf(Server));

        // What Endpoint.VCopy does on the server's node for the length of a copy from or into it.
        Interlocked.Increment(ref slot->Copies);
        MigrationResult refused = cluster.Hosts[0].Migrate(0, Server, 2);
        Interlocked.Decrement(ref slot->Copies);

        Assert.That(refused.Error, Is.EqualTo(DvsError.OnCopy), refused.ToString());
        Assert.That(Volatile.Read(ref slot->State), Is.EqualTo(Dvs.Layout.SegmentLayout.SlotLocal), "it stays here, serving");
        using (Endpoint client = cluster.Nodes[0].Bind(0, 30))
        {
            var m = new Message(KeyValueService.Increment) { [0] = 30 };
            Assert.That(client.SendRec(Server, ref m, DvsTimeout.FromMilliseconds(30_000)), Is.EqualTo(DvsError.Ok));
            Assert.That(m[0], Is.EqualTo(1));
        }
        Assert.That(cluster.Hosts[0].Migrate(0, Server, 2).Error, Is.EqualTo(DvsError.Ok), "and once the copy is done it can");
    }
}
