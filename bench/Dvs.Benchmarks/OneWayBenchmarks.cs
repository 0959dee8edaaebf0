using System.Runtime.CompilerServices;
using BenchmarkDotNet.Attributes;
using Dvs.Benchmarks.Floor;
using Dvs.Benchmarks.Partners;

namespace Dvs.Benchmarks;

/// <summary>
/// One-way throughput from this process (CPU 0) to a consuming partner (CPU 1), a batch of
/// messages per invocation, so the time per op is the time per 64-byte message. The floor is a
/// C SPSC ring of 4096 slots, publishing its head after every message and every 16 (FLOOR.md:
/// batching the publication doubles throughput).
/// </summary>
[MemoryDiagnoser]
public class OneWayBenchmarks
{
    /// <summary>Messages per invocation.</summary>
    public const int Messages = 100_000;

    private PartnerProcess? partner;
    private nint floor;
    private DvsPair? dvs;
    private long sent;

    [GlobalSetup(Targets = [nameof(CFloorSpsc), nameof(CFloorSpscBatch16)])]
    public void SetupFloor()
    {
        FloorInterop.PinCurrentThread(Cpus.Benchmark);
        var name = $"/dvs-bench-sink-{Environment.ProcessId}";
        partner = PartnerProcess.StartFloor("sink", name, Cpus.Partner);
        if (FloorInterop.Attach(name, out floor) != 0)
        {
            throw new InvalidOperationException($"cannot attach the floor region {name}: errno {System.Runtime.InteropServices.Marshal.GetLastPInvokeError()}");
        }
    }

    [GlobalCleanup(Targets = [nameof(CFloorSpsc), nameof(CFloorSpscBatch16)])]
    public void CleanupFloor()
    {
        if (floor != 0)
        {
            FloorInterop.Detach(floor);
            floor = 0;
        }
        StopPartner();
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Messages)]
    public void CFloorSpsc() => FloorSend(1);

    [Benchmark(OperationsPerInvoke = Messages)]
    public void CFloorSpscBatch16() => FloorSend(16);

    [GlobalSetup(Target = nameof(DvsSend))]
    public void SetupDvs()
    {
        FloorInterop.PinCurrentThread(Cpus.Benchmark);
        dvs = DvsPair.Start("--sink", spinning: true);
        sent = 0;
    }

    [GlobalCleanup(Target = nameof(DvsSend))]
    public void CleanupDvs()
    {
        dvs?.Dispose();
        dvs = null;
    }

    /// <summary>
    /// Send of a batch to a spinning receiver, ended by one SendRec that the sink answers after
    /// taking the whole batch (one round trip per batch, well under 1% of it).
    /// </summary>
    [Benchmark(OperationsPerInvoke = Messages)]
    public void DvsSend()
    {
        var client = dvs!.Client;
        var message = new Message(1);
        for (var i = 0; i < Messages; i++)
        {
            message[0] = sent++;
            if (client.Send(DvsPair.ServerEndpoint, in message, DvsTimeout.Forever) != DvsError.Ok)
            {
                ThrowDvsFailed();
            }
        }
        var drain = new Message(DvsSink.Drain);
        if (client.SendRec(DvsPair.ServerEndpoint, ref drain, DvsTimeout.Forever) != DvsError.Ok)
        {
            ThrowDvsFailed();
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowDvsFailed() => throw new InvalidOperationException("Send failed (is the sink gone?)");

    private void FloorSend(int batch)
    {
        if (FloorInterop.SpscSend(floor, Messages, batch) != 0)
        {
            FloorInterop.ThrowFailed("dvs_floor_spsc_send");
        }
    }

    private void StopPartner()
    {
        partner?.Dispose();
        partner = null;
    }
}
