using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using BenchmarkDotNet.Attributes;
using Dvs.Benchmarks.Floor;
using Dvs.Benchmarks.Partners;
using NetMQ;
using NetMQ.Sockets;

namespace Dvs.Benchmarks.Net;

/// <summary>
/// Issue 4, point 6: the round trip of a 64-byte message between two processes over loopback,
/// in one run: the C UDP ping-pong on 127.0.0.1 (the floor, blocking recv = baseline, and
/// busy-polling), Dvs SendRec between two nodes (client on node1 here, echo on node0; two node
/// host processes between them, UDP between the hosts) and NetMQ REQ/REP over tcp://127.0.0.1.
/// This process runs on CPU 0, the partners on CPU 1 (node1's host on CPU 0, beside its client).
/// </summary>
[MemoryDiagnoser]
public class CrossNodeRoundTripBenchmarks
{
    /// <summary>Round trips per invocation (tens of µs each).</summary>
    public const int Ops = 1_000;

    private readonly List<PartnerProcess> partners = [];
    private int udp = -1;
    private CrossNodeCluster? cluster;
    private RequestSocket? req;
    private readonly byte[] frame = new byte[64];

    [GlobalSetup(Target = nameof(UdpFloorBlocking))]
    public void SetupUdpBlocking() => SetupUdp(busyPoll: false);

    [GlobalSetup(Target = nameof(UdpFloorBusyPoll))]
    public void SetupUdpBusyPoll() => SetupUdp(busyPoll: true);

    private void SetupUdp(bool busyPoll)
    {
        FloorInterop.PinCurrentThread(Cpus.Benchmark);
        var port = NetPorts.FreeUdp();
        partners.Add(PartnerProcess.Start(Path.Combine(AppContext.BaseDirectory, "dvs-udp-floor"),
            ["echo", port.ToString(), Cpus.Partner.ToString(), busyPoll ? "poll" : "block"]));
        if (UdpFloorInterop.Open(port, busyPoll ? 1 : 0, out udp) != 0)
        {
            throw new InvalidOperationException($"cannot open the UDP floor socket: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    [GlobalCleanup(Targets = [nameof(UdpFloorBlocking), nameof(UdpFloorBusyPoll)])]
    public void CleanupUdp()
    {
        if (udp >= 0)
        {
            UdpFloorInterop.Close(udp);
            udp = -1;
        }
        StopPartners();
    }

    /// <summary>The floor: C, blocking recv on both sides (FLOOR.md "UDP on 127.0.0.1, blocking").</summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = Ops)]
    public void UdpFloorBlocking() => UdpPingPong(0);

    /// <summary>C, both sides busy-polling non-blocking sockets (no sleeping vCPU to wake).</summary>
    [Benchmark(OperationsPerInvoke = Ops)]
    public void UdpFloorBusyPoll() => UdpPingPong(1);

    private void UdpPingPong(int busyPoll)
    {
        if (UdpFloorInterop.PingPong(udp, Ops, busyPoll) != 0)
        {
            throw new InvalidOperationException($"dvs_udp_floor_pingpong failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    [GlobalSetup(Target = nameof(DvsSendRecCrossNode))]
    public void SetupDvs() => SetupDvs(blocking: false);

    [GlobalSetup(Target = nameof(DvsSendRecCrossNodeBlocking))]
    public void SetupDvsBlocking() => SetupDvs(blocking: true);

    private void SetupDvs(bool blocking)
    {
        FloorInterop.PinCurrentThread(Cpus.Benchmark);
        cluster = CrossNodeCluster.Start("echo", blocking);
    }

    [GlobalCleanup(Targets = [nameof(DvsSendRecCrossNode), nameof(DvsSendRecCrossNodeBlocking)])]
    public void CleanupDvs()
    {
        cluster?.Dispose();
        cluster = null;
    }

    /// <summary>Endpoint.SendRec from node1 to an echo on node0, both endpoints WaitStrategy.Default.</summary>
    [Benchmark(OperationsPerInvoke = Ops)]
    public void DvsSendRecCrossNode() => SendRecs();

    /// <summary>
    /// The same with both endpoints WaitStrategy.Blocking: no 50 µs spin of the echo on the CPU
    /// its node host needs next (the comparable path to the blocking floor: every hop sleeps).
    /// </summary>
    [Benchmark(OperationsPerInvoke = Ops)]
    public void DvsSendRecCrossNodeBlocking() => SendRecs();

    private void SendRecs()
    {
        var client = cluster!.Client;
        var message = new Message(1);
        for (var i = 0; i < Ops; i++)
        {
            message[0] = i;
            if (client.SendRec(CrossNodeCluster.ServerEndpoint, ref message, DvsTimeout.FromMilliseconds(10_000)) != DvsError.Ok || message[0] != i)
            {
                Throw("SendRec failed or got another request's reply");
            }
        }
    }

    [GlobalSetup(Target = nameof(NetMqReqRep))]
    public void SetupNetMq()
    {
        FloorInterop.PinCurrentThread(Cpus.Benchmark);
        var port = NetPorts.FreeTcp();
        partners.Add(PartnerProcess.StartSelf("--net", "rep", port.ToString(), Cpus.Partner.ToString()));
        req = new RequestSocket();
        req.Connect($"tcp://127.0.0.1:{port}");
    }

    [GlobalCleanup(Target = nameof(NetMqReqRep))]
    public void CleanupNetMq()
    {
        req?.Dispose();
        req = null;
        StopPartners();
        NetMQConfig.Cleanup(block: false);
    }

    /// <summary>NetMQ 4.0.4.5 REQ/REP, 64-byte frames over tcp://127.0.0.1.</summary>
    [Benchmark(OperationsPerInvoke = Ops)]
    public void NetMqReqRep()
    {
        var socket = req!;
        for (var i = 0; i < Ops; i++)
        {
            BinaryPrimitives.WriteInt64LittleEndian(frame, i);
            socket.SendFrame(frame);
            var reply = socket.ReceiveFrameBytes();
            if (reply.Length != 64 || BinaryPrimitives.ReadInt64LittleEndian(reply) != i)
            {
                Throw("NetMQ REQ got a wrong reply");
            }
        }
    }

    private void StopPartners()
    {
        foreach (var p in partners)
        {
            p.Dispose();
        }
        partners.Clear();
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Throw(string why) => throw new InvalidOperationException(why);
}
