using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using BenchmarkDotNet.Attributes;
using Dvs.Benchmarks.Floor;
using Dvs.Benchmarks.Partners;
using NetMQ;
using NetMQ.Sockets;

namespace Dvs.Benchmarks.Net;

/// <summary>
/// Issue 4, point 6: batched one-way throughput of 64-byte messages between two processes over
/// loopback: NetMQ PUSH/PULL over tcp://127.0.0.1 (baseline) and Dvs Send from node1 to a sink on
/// node0 through the two node host processes. N messages per invocation, closed by one
/// acknowledgement (a NetMQ ack frame; a Dvs SendRec the sink answers after taking everything
/// before it), so the time covers both ends. Time per op = 1 / throughput.
/// </summary>
[MemoryDiagnoser]
public class CrossNodeThroughputBenchmarks
{
    /// <summary>Messages per invocation.</summary>
    public const int Batch = 20_000;

    private PartnerProcess? partner;
    private CrossNodeCluster? cluster;
    private PushSocket? push;
    private PullSocket? ack;
    private readonly byte[] frame = new byte[64];
    private long next;

    [GlobalSetup(Target = nameof(NetMqPushPull))]
    public void SetupNetMq()
    {
        FloorInterop.PinCurrentThread(Cpus.Benchmark);
        int port = NetPorts.FreeTcp(), ackPort = NetPorts.FreeTcp();
        ack = new PullSocket();
        ack.Bind($"tcp://127.0.0.1:{ackPort}");
        partner = PartnerProcess.StartSelf("--net", "pull", port.ToString(), ackPort.ToString(), Batch.ToString(), Cpus.Partner.ToString());
        push = new PushSocket();
        push.Connect($"tcp://127.0.0.1:{port}");
        next = 0;
    }

    [GlobalCleanup(Target = nameof(NetMqPushPull))]
    public void CleanupNetMq()
    {
        push?.Dispose();
        ack?.Dispose();
        push = null;
        ack = null;
        partner?.Dispose();
        partner = null;
        NetMQConfig.Cleanup(block: false);
    }

    /// <summary>NetMQ 4.0.4.5 PUSH/PULL, 64-byte frames (its own batching on the TCP stream).</summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = Batch)]
    public void NetMqPushPull()
    {
        var socket = push!;
        for (var i = 0; i < Batch; i++)
        {
            BinaryPrimitives.WriteInt64LittleEndian(frame, next++);
            socket.SendFrame(frame);
        }
        var done = ack!.ReceiveFrameBytes();
        if (BinaryPrimitives.ReadInt64LittleEndian(done) != next)
        {
            Throw("the NetMQ sink acknowledged another count");
        }
    }

    [GlobalSetup(Target = nameof(DvsSendCrossNode))]
    public void SetupDvs()
    {
        FloorInterop.PinCurrentThread(Cpus.Benchmark);
        cluster = CrossNodeCluster.Start("sink");
        next = 0;
    }

    [GlobalCleanup(Target = nameof(DvsSendCrossNode))]
    public void CleanupDvs()
    {
        cluster?.Dispose();
        cluster = null;
    }

    /// <summary>Endpoint.Send from node1 to a sink on node0, closed by one SendRec (drain).</summary>
    [Benchmark(OperationsPerInvoke = Batch)]
    public void DvsSendCrossNode()
    {
        var client = cluster!.Client;
        var timeout = DvsTimeout.FromMilliseconds(10_000);
        var message = new Message(1);
        for (var i = 0; i < Batch; i++)
        {
            message[0] = next++;
            if (client.Send(CrossNodeCluster.ServerEndpoint, in message, timeout) != DvsError.Ok)
            {
                Throw("Send failed");
            }
        }
        var drain = new Message(DvsSink.Drain);
        if (client.SendRec(CrossNodeCluster.ServerEndpoint, ref drain, timeout) != DvsError.Ok)
        {
            Throw("the drain request failed");
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Throw(string why) => throw new InvalidOperationException(why);
}
