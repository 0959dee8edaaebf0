using System.Net.Sockets;
using System.Runtime.CompilerServices;
using BenchmarkDotNet.Attributes;
using Dvs.Benchmarks.Floor;
using Dvs.Benchmarks.Partners;

namespace Dvs.Benchmarks;

/// <summary>
/// Round trip of a 64-byte message between this process (CPU 0) and a partner process (CPU 1):
/// the C floor (shared memory, both sides spinning), Dvs SendRec spinning and blocking, and a
/// .NET Unix-socket ping-pong busy-polling and blocking. One run, so the Ratio column is the
/// ratio to the floor measured minutes apart at most (FLOOR.md: the host moves the vCPUs).
/// Each benchmark starts its own partner in its GlobalSetup, so no partner spins while another
/// benchmark runs, and kills it in its GlobalCleanup.
/// </summary>
[MemoryDiagnoser]
public class RoundTripBenchmarks
{
    /// <summary>Round trips per invocation on the paths that spin (hundreds of ns each).</summary>
    public const int SpinOps = 10_000;

    /// <summary>Round trips per invocation on the paths that sleep (tens of µs each).</summary>
    public const int BlockOps = 1_000;

    private PartnerProcess? partner;
    private nint floor;
    private DvsPair? dvs;
    private Socket? socket;
    private readonly byte[] message = new byte[UdsWire.MessageSize];

    [GlobalSetup(Target = nameof(CFloor))]
    public void SetupFloor()
    {
        FloorInterop.PinCurrentThread(Cpus.Benchmark);
        var name = $"/dvs-bench-floor-{Environment.ProcessId}";
        partner = PartnerProcess.StartFloor("echo", name, Cpus.Partner);
        if (FloorInterop.Attach(name, out floor) != 0)
        {
            throw new InvalidOperationException($"cannot attach the floor region {name}: errno {System.Runtime.InteropServices.Marshal.GetLastPInvokeError()}");
        }
    }

    [GlobalCleanup(Target = nameof(CFloor))]
    public void CleanupFloor()
    {
        if (floor != 0)
        {
            FloorInterop.Detach(floor);
            floor = 0;
        }
        StopPartner();
    }

    /// <summary>The floor: the round trip in C, called once per invocation for all of its ops.</summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = SpinOps)]
    public void CFloor()
    {
        if (FloorInterop.PingPong(floor, SpinOps) != 0)
        {
            FloorInterop.ThrowFailed("dvs_floor_pingpong");
        }
    }

    [GlobalSetup(Target = nameof(DvsSendRecSpinning))]
    public void SetupDvsSpinning() => SetupDvs(spinning: true);

    [GlobalSetup(Target = nameof(DvsSendRecBlocking))]
    public void SetupDvsBlocking() => SetupDvs(spinning: false);

    [GlobalCleanup(Targets = [nameof(DvsSendRecSpinning), nameof(DvsSendRecBlocking)])]
    public void CleanupDvs()
    {
        dvs?.Dispose();
        dvs = null;
    }

    /// <summary>SendRec with both sides spinning (WaitStrategy.Spinning): the target of issue 3.</summary>
    [Benchmark(OperationsPerInvoke = SpinOps)]
    public void DvsSendRecSpinning() => SendRecs(SpinOps);

    /// <summary>SendRec with both sides sleeping on the futex at once (WaitStrategy.Blocking).</summary>
    [Benchmark(OperationsPerInvoke = BlockOps)]
    public void DvsSendRecBlocking() => SendRecs(BlockOps);

    private void SetupDvs(bool spinning)
    {
        FloorInterop.PinCurrentThread(Cpus.Benchmark);
        dvs = DvsPair.Start("--echo", spinning);
    }

    private void SendRecs(int count)
    {
        var client = dvs!.Client;
        var message = new Message(1);
        for (var i = 0; i < count; i++)
        {
            message[0] = i;
            if (client.SendRec(DvsPair.ServerEndpoint, ref message, DvsTimeout.Forever) != DvsError.Ok || message[0] != i)
            {
                ThrowDvsFailed();
            }
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowDvsFailed() => throw new InvalidOperationException("SendRec failed or got another request's reply");

    [GlobalSetup(Target = nameof(UdsBusyPoll))]
    public void SetupUdsBusyPoll() => SetupUds(busyPoll: true);

    [GlobalSetup(Target = nameof(UdsBlocking))]
    public void SetupUdsBlocking() => SetupUds(busyPoll: false);

    [GlobalCleanup(Targets = [nameof(UdsBusyPoll), nameof(UdsBlocking)])]
    public void CleanupUds()
    {
        socket?.Dispose();
        socket = null;
        StopPartner();
    }

    [Benchmark(OperationsPerInvoke = SpinOps)]
    public void UdsBusyPoll() => UdsPingPong(SpinOps);

    [Benchmark(OperationsPerInvoke = BlockOps)]
    public void UdsBlocking() => UdsPingPong(BlockOps);

    private void SetupUds(bool busyPoll)
    {
        FloorInterop.PinCurrentThread(Cpus.Benchmark);
        var path = Path.Combine(Path.GetTempPath(), $"dvs-bench-uds-{Environment.ProcessId}.sock");
        partner = PartnerProcess.StartSelf("--echo", "uds", path, Cpus.Partner.ToString(), busyPoll ? "poll" : "block");
        socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Connect(new UnixDomainSocketEndPoint(path));
        socket.Blocking = !busyPoll;
    }

    private void UdsPingPong(int count)
    {
        var s = socket!;
        var buffer = message.AsSpan();
        for (var i = 0; i < count; i++)
        {
            buffer[0] = (byte)i;
            if (!UdsWire.SendExactly(s, buffer) || !UdsWire.ReceiveExactly(s, buffer) || buffer[0] != (byte)i)
            {
                UdsWire.ThrowPeerGone();
            }
        }
    }

    private void StopPartner()
    {
        partner?.Dispose();
        partner = null;
    }
}
