using System.Runtime.InteropServices;
using Dvs.Ipc;
using Dvs.Layout;

namespace Dvs.Tests.Ipc;

/// <summary>
/// <see cref="Doorbell.Ring"/> fences before it reads the sleepers count, as dvs_doorbell_ring does:
/// a publisher that updated a slot with plain stores (ApplyBind's redirect of a remote slot) and
/// then rang never misses a sleeper that raised its count and still read the old value.
/// </summary>
/// <remarks>
/// This is the store-buffer litmus test (x64 and arm64 both let a store pass a later load to
/// another address): many rounds of "publisher: plain store, Ring; sleeper: raise Sleeping, read"
/// started together. Without the fence a round now and then ends with neither side seeing the
/// other (a lost wake-up: the sleeper would sleep its whole slice). The test can only fail when
/// the fence is missing; how often a missing fence shows depends on the scheduling of the two
/// threads, so it runs for a bounded number of rounds and reports how many ran concurrently.
/// </remarks>
[TestFixture]
public unsafe class DoorbellTests
{
    private const int Rounds = 200_000;
    private const int Stop = -1;

    [Test]
    public void ARingAfterPlainStoresNeverMissesASleeperThatMissedThem()
    {
        var slot = (EndpointSlot*)NativeMemory.AlignedAlloc((nuint)sizeof(EndpointSlot), 64);
        try
        {
            *slot = default;
            int round = 0;          // the round both threads are to run (written by the sleeper's side)
            int published = 0;      // rounds the publisher finished
            int lost = 0;
            int rounds = Rounds;
            long end = Environment.TickCount64 + 5_000;
            var publisher = new Thread(() =>
            {
                for (int r = 1; ; r++)
                {
                    var spinner = new SpinWait();
                    int seen;
                    while ((seen = Volatile.Read(ref round)) != r)
                    {
                        if (seen == Stop)
                        {
                            return;
                        }
                        spinner.SpinOnce(sleep1Threshold: -1);
                    }
                    slot->Epoch = (uint)r;   // the plain store of a slot update
                    Doorbell.Ring(slot);
                    Volatile.Write(ref published, r);
                }
            });
            publisher.Start();
            for (int r = 1; r <= rounds; r++)
            {
                if (Environment.TickCount64 > end)
                {
                    rounds = r - 1;   // a loaded machine: stop at a time bound, not a count
                    break;
                }
                slot->Sleeping = 0;
                slot->WakePending = 0;
                uint wakeBefore = slot->WakeSeq;
                Volatile.Write(ref round, r);
                for (int d = r & 63, spin = 0; spin < d; spin++)
                {
                    Volatile.Read(ref published);   // a delay that sweeps the two sides across each other
                }
                Interlocked.Increment(ref slot->Sleeping);   // the sleeper's side: raise, then check
                bool sawUpdate = Volatile.Read(ref slot->Epoch) == (uint)r;
                var spinner = new SpinWait();
                while (Volatile.Read(ref published) != r)
                {
                    spinner.SpinOnce(sleep1Threshold: -1);
                }
                bool woken = Volatile.Read(ref slot->WakeSeq) != wakeBefore;
                if (!sawUpdate && !woken)
                {
                    lost++;
                }
            }
            Volatile.Write(ref round, Stop);
            publisher.Join();
            Assert.That(lost, Is.Zero, $"lost wake-ups in {rounds} rounds");
        }
        finally
        {
            NativeMemory.AlignedFree(slot);
        }
    }
}
