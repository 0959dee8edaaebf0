using System.Buffers;
using Dvs.Layout;
using Dvs.Services;
using Dvs.Transport;

namespace Dvs.Tests.Hosting;

/// <summary>
/// Issue 12: user code (a service's stop, its snapshot) never holds up a proxy thread, and the
/// node host never waits on it without a bound.
/// </summary>
[TestFixture]
public class ServiceWorkTests
{
    private const byte Bind = 16;

    [Test]
    public void AStaleServiceInsideARemoteCallYieldsWithoutBlockingTheInboundThread()
    {
        using var cluster = new ForgedPeerHost("yield-");
        Node node = cluster.Node;
        ForgedPeer peer = cluster.Peer;
        PeerLinkTests.Announce(node, peer, 4);   // endpoint 4 lives on node 1
        using Endpoint outgoing = node.Bind(0, 8);
        var service = new CallingService(outgoing, 4);
        cluster.Host.RegisterServiceKind("calling", () => service);
        cluster.Host.HostService(0, 2, "calling");
        using Endpoint client = node.Bind(0, 3);
        var call = new Thread(() =>
        {
            var m = new Message(1);
            client.SendRec(2, ref m, DvsTimeout.FromMilliseconds(30_000));
        });
        call.Start();
        try
        {
            // The service is inside its SendRec to node 1 ...
            peer.PumpUntil(() => peer.Received.All.Any(r => r.Header.CallKind == SegmentLayout.KindSendRec && r.Header.Destination == 4),
                "the service calls node 1");
            MessageHeader request = peer.Received.All.First(r => r.Header.CallKind == SegmentLayout.KindSendRec).Header;

            // ... when node 1 says it owns endpoint 2 at a newer epoch: the copy here must yield.
            peer.Send(new MessageHeader(0, Bind, 2, 1, 0), new Message(1));
            // The reply to the service's call needs node 0's inbound thread.
            var reply = new Message(5) { Source = 4 };
            peer.Send(new MessageHeader(0, SegmentLayout.KindReply, 8, 0, request.RequestSequence, request.SourceIncarnation), reply);
            peer.PumpUntil(() => service.Result == DvsError.Ok, "the service's call returns");
            peer.PumpUntil(() => node.GetEndpointInfo(0, 2)?.State == "remote", "endpoint 2 yielded to node 1");

            // The client's call to the stale copy follows the endpoint to node 1; answered there, it ends.
            peer.PumpUntil(() => peer.Received.All.Any(r => r.Header.CallKind == SegmentLayout.KindSendRec && r.Header.Destination == 2),
                "the client's call replayed to node 1");
            MessageHeader replayed = peer.Received.All.First(r => r.Header.CallKind == SegmentLayout.KindSendRec && r.Header.Destination == 2).Header;
            peer.Send(new MessageHeader(0, SegmentLayout.KindReply, 3, 1, replayed.RequestSequence, replayed.SourceIncarnation), new Message(6) { Source = 2 });
            peer.PumpUntil(() => !call.IsAlive, "the client's call ends");
        }
        finally
        {
            call.Join(TimeSpan.FromSeconds(35));
        }
    }

    [Test]
    public void ASnapshotThatDoesNotEndFailsTheMigrationWithinItsTimeout()
    {
        using var cluster = new ForgedPeerHost("snapshot-");
        var service = new StuckSnapshotService();
        cluster.Host.RegisterServiceKind("stuck", () => service);
        cluster.Host.HostService(0, 2, "stuck");
        cluster.Host.MigrationTimeout = TimeSpan.FromMilliseconds(500);
        try
        {
            Task<DvsError> start = Task.Run(() => cluster.Host.MigrateStart(0, 2, 1));
            Assert.That(start.Wait(TimeSpan.FromSeconds(10)), Is.True, "MigrateStart returned");
            Assert.That(start.Result, Is.EqualTo(DvsError.TimedOut));
            Assert.That(service.Entered.IsSet, Is.True, "the snapshot had started");
            // The abandoned snapshot still writes into its buffer when it ends: that buffer must not
            // serve the next migration (whose state it would corrupt), so it is not kept for reuse.
            Assert.That(cluster.Host.KeptMigrationBuffers, Is.Zero, "a buffer a snapshot still writes into is not reused");
        }
        finally
        {
            service.Release.Set();
        }
    }

    /// <summary>Calls a remote endpoint from inside each request.</summary>
    private sealed class CallingService(Endpoint outgoing, int remote) : IMigratableService
    {
        private int _result = (int)DvsError.Generic;

        public DvsError Result => (DvsError)Volatile.Read(ref _result);

        public Message Execute(in Message request)
        {
            var m = new Message(7);
            Volatile.Write(ref _result, (int)outgoing.SendRec(remote, ref m, DvsTimeout.FromMilliseconds(15_000)));
            return m;
        }

        public byte[] Snapshot() => [];

        public void Restore(ReadOnlySpan<byte> snapshot)
        {
        }
    }

    /// <summary>A pre-copied service whose snapshot waits until the test releases it.</summary>
    private sealed class StuckSnapshotService : IMigratableService
    {
        public ManualResetEventSlim Entered { get; } = new();

        public ManualResetEventSlim Release { get; } = new();

        public bool IsDeterministic => true;

        public Message Execute(in Message request) => request;

        public byte[] Snapshot() => [];

        public void Snapshot(IBufferWriter<byte> into)
        {
            Entered.Set();
            Release.Wait(TimeSpan.FromSeconds(30));
        }

        public void Restore(ReadOnlySpan<byte> snapshot)
        {
        }
    }
}
