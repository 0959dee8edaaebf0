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
    private const int Size = 4 << 20;
    /// <summary>Where the serving node pauses the copy (NodeHost.CopyPauseAt): well inside it, past
    /// several bulk frames (each at most ~64 KiB), so the receiving node has written some of them.</summary>
    private const long PauseAt = 1 << 20;

    [Test]
    public void AnEndpointInTheMiddleOfAVCopyCannotMigrate()
    {
        using var cluster = new ThreeNodes();
        cluster.Hosts[0].HostService(0, Server, KeyValueService.KindName);
        using Endpoint puller = cluster.Nodes[1].Bind(0, 20);
        Assert.That(cluster.Nodes[1].WaitForRemote(0, Server, DvsTimeout.FromMilliseconds(30_000)), Is.EqualTo(DvsError.Ok));
        // The server's process (the host, this process) is the copy's source: node 0 serves it.
        MigrateDuringACopy(cluster, servingHost: 0, (s, d, size) => puller.VCopy(Server, s, 20, d, size));
    }

    [Test]
    public void AnEndpointAVCopyFromAnotherNodeIsWritingIntoCannotMigrate()
    {
        using var cluster = new ThreeNodes();
        cluster.Hosts[0].HostService(0, Server, KeyValueService.KindName);
        using Endpoint pusher = cluster.Nodes[1].Bind(0, 21);
        Assert.That(cluster.Nodes[1].WaitForRemote(0, Server, DvsTimeout.FromMilliseconds(30_000)), Is.EqualTo(DvsError.Ok));
        // Node 1 streams the pusher's bytes into the server's process (this one) on node 0.
        MigrateDuringACopy(cluster, servingHost: 1, (s, d, size) => pusher.VCopy(21, s, Server, d, size));
    }

    /// <summary>
    /// Starts a copy that the node serving it (<paramref name="servingHost"/>) pauses in its middle,
    /// waits until the first bytes arrived, then migrates the server: refused with OnCopy; once the
    /// copy goes on it completes intact; afterwards the migration goes through.
    /// </summary>
    private static unsafe void MigrateDuringACopy(ThreeNodes cluster, int servingHost, Func<nint, nint, long, DvsError> copyCall)
    {
        byte[] source = GC.AllocateArray<byte>(Size, pinned: true);
        byte[] target = GC.AllocateArray<byte>(Size, pinned: true);
        new Random(7).NextBytes(source);
        source[0] = 0x5a;
        nint s, d;
        fixed (byte* ps = source, pd = target)
        {
            s = (nint)ps;
            d = (nint)pd;
        }
        cluster.Hosts[servingHost].CopyPauseAt = PauseAt;
        Task<DvsError> copy = Task.Run(() => copyCall(s, d, Size));
        try
        {
            Assert.That(SpinWait.SpinUntil(() => Volatile.Read(ref target[0]) == 0x5a || copy.IsCompleted, TimeSpan.FromSeconds(30)), Is.True,
                "the first bytes of the copy arrive");
            Assert.That(copy.IsCompleted, Is.False, "the copy waits at its pause");
            MigrationResult result = cluster.Hosts[0].Migrate(0, Server, 2);
            Assert.That(result.Error, Is.EqualTo(DvsError.OnCopy), result.ToString());
            // The chunk that crosses the pause still goes; nothing after it.
            Assert.That(target.AsSpan((int)PauseAt + (128 << 10)).IndexOfAnyExcept((byte)0), Is.EqualTo(-1), "nothing past the pause was copied yet");
        }
        finally
        {
            cluster.Hosts[servingHost].CopyPauseAt = long.MaxValue;
        }
        Assert.That(copy.Wait(TimeSpan.FromSeconds(30)), Is.True, "the copy ends once resumed");
        Assert.That(copy.Result, Is.EqualTo(DvsError.Ok));
        Assert.That(target.AsSpan().SequenceEqual(source), Is.True, "the whole copy arrived intact");
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
        using Endpoint copier = cluster.Nodes[0].Bind(0, 22);

        // A real local copy from the server's memory, held inside Endpoint.VCopy (where both slots
        // count it) until the migration has been tried.
        byte[] source = GC.AllocateArray<byte>(4096, pinned: true);
        byte[] target = GC.AllocateArray<byte>(4096, pinned: true);
        new Random(7).NextBytes(source);
        nint s, d;
        fixed (byte* ps = source, pd = target)
        {
            s = (nint)ps;
            d = (nint)pd;
        }
        using var inside = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        copier.DuringLocalCopy = () =>
        {
            inside.Set();
            release.Wait(TimeSpan.FromSeconds(60));
        };
        Task<DvsError> copy = Task.Run(() => copier.VCopy(Server, s, EndpointNumber.Self, d, source.Length));
        MigrationResult refused;
        try
        {
            Assert.That(inside.Wait(TimeSpan.FromSeconds(30)), Is.True, "the copy started");
            refused = cluster.Hosts[0].Migrate(0, Server, 2);
        }
        finally
        {
            release.Set();
        }
        Assert.That(copy.Wait(TimeSpan.FromSeconds(30)), Is.True);
        Assert.That(copy.Result, Is.EqualTo(DvsError.Ok));
        Assert.That(target.AsSpan().SequenceEqual(source), Is.True, "the copy went through");
        copier.DuringLocalCopy = null;

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
