using System.Runtime.CompilerServices;
using Dvs.Interop;
using Dvs.Layout;

namespace Dvs.Ipc;

/// <summary>
/// One MPSC ring of the node segment (an endpoint's inbound ring, or the node's outbound ring to
/// its proxy) with its capacity and the slot of its consumer, whose doorbell an offer rings and
/// whose hold it obeys: the (ring, capacity, owner) triple every native ring call takes, held
/// together so no caller pairs a ring with the wrong capacity. Thin inlined wrappers over
/// native/src/dvs_ring.c; nothing here allocates. Valid while the mapping is referenced.
/// </summary>
internal readonly unsafe struct EndpointRing
{
    public readonly RingHeader* Header;
    public readonly uint Capacity;
    /// <summary>The consumer's slot: an endpoint's own slot, or the proxy's for the outbound ring.</summary>
    public readonly EndpointSlot* Owner;

    /// <summary>A ring of <paramref name="capacity"/> cells at <paramref name="header"/>, consumed by the owner of <paramref name="owner"/>.</summary>
    /// <param name="header">The ring's header in the segment.</param>
    /// <param name="capacity">Its cells, a power of two.</param>
    /// <param name="owner">Its consumer's slot.</param>
    public EndpointRing(RingHeader* header, uint capacity, EndpointSlot* owner)
    {
        Header = header;
        Capacity = capacity;
        Owner = owner;
    }

    /// <summary>
    /// Queues a copy of <paramref name="message"/> and wakes the owner if it sleeps; false when
    /// the ring is full, or its owner holds other senders back (dvs_held_back). Never blocks.
    /// </summary>
    /// <param name="message">The message.</param>
    /// <param name="meta">The cell's meta word (<see cref="RingMeta"/>).</param>
    /// <param name="aux">The cell's aux word: the sender's incarnation, or the outbound route.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryOffer(Message* message, int meta, ulong aux) =>
        Shim.RingOfferAux(Header, Capacity, message, meta, aux, Owner) == 0;

    /// <summary>Queues the longest prefix of <paramref name="run"/> that fits, in order, with one claim; how many went in.</summary>
    /// <param name="run">The messages with their meta and aux words.</param>
    /// <param name="count">How many.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public uint OfferRun(PolledMessage* run, uint count) => Shim.RingOfferMany(Header, Capacity, run, count, Owner);

    /// <summary>Takes the oldest message (the owner only); false when the ring is empty.</summary>
    /// <param name="message">Receives the message.</param>
    /// <param name="meta">Receives the cell's meta word.</param>
    /// <param name="aux">Receives the cell's aux word.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryPoll(Message* message, int* meta, ulong* aux) => Shim.RingPollAux(Header, Capacity, message, meta, aux) == 0;

    /// <summary>Takes up to <paramref name="max"/> messages in order (the owner only); how many.</summary>
    /// <param name="output">Receives them.</param>
    /// <param name="max">Room in <paramref name="output"/>.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public uint PollRun(PolledMessage* output, uint max) => Shim.RingPollMany(Header, Capacity, output, max);

    /// <summary>No cell claimed and not taken (two loads, no call): a cheap look before a lock or a poll.</summary>
    public bool LooksEmpty
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Volatile.Read(ref Header->Tail) == Volatile.Read(ref Header->Head);
    }

    /// <summary>Messages claimed and not yet taken (a snapshot).</summary>
    public uint Count
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Shim.RingCount(Header);
    }

    /// <summary>
    /// Test hook: claims a cell exactly as an offer does and never publishes it (what a producer
    /// killed between the two leaves behind); false when the ring is full.
    /// </summary>
    public bool ClaimWithoutPublishing() => Shim.RingTestClaim(Header, Capacity) == 0;

    /// <summary>Publishes as skip cells the cells claimed by producers that died before publishing them; how many.</summary>
    public uint UnblockDeadProducers() => Shim.RingUnblock(Header, Capacity, Owner);

    /// <summary>Empties the ring for a new owner. Not safe against concurrent producers.</summary>
    public void Reset() => Shim.RingReset(Header, Capacity);

    // ---- the proxy's overflow flag: the node proxy holds messages for this ring (it was full)

    /// <summary>The proxy marks that it holds messages for this ring (a full fence: the consumer's next take sees it).</summary>
    public void MarkProxyWaiting() => Interlocked.Exchange(ref Header->ProxyWaiting, 1u);

    /// <summary>True while the proxy holds messages for this ring.</summary>
    public bool IsProxyWaiting
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Volatile.Read(ref Header->ProxyWaiting) != 0;
    }

    /// <summary>Clears the proxy's flag; true for the one caller that cleared it.</summary>
    public bool TakeProxyWaiting() => Interlocked.Exchange(ref Header->ProxyWaiting, 0u) != 0;

    // ---- producers waiting for space

    /// <summary>Waits (per <paramref name="strategy"/>) until <paramref name="condition"/> holds, sleeping on the ring's space word.</summary>
    /// <param name="condition">The producer's retry (it offers again).</param>
    /// <param name="strategy">Spin, yield, sleep.</param>
    /// <param name="deadline">Stopwatch ticks.</param>
    public DvsError WaitForSpace<T>(ref T condition, WaitStrategy strategy, long deadline) where T : struct, IWaitCondition =>
        Waiter.Wait(ref condition, &Header->SpaceSeq, &Header->SpaceWaiters, &Header->SpacePending, strategy, deadline);

    /// <summary>Wakes the producers that sleep for space, if any (fences first, like <see cref="Doorbell.Ring"/>).</summary>
    public void WakeSpaceWaiters()
    {
        Interlocked.MemoryBarrier();
        if (Volatile.Read(ref Header->SpaceWaiters) != 0)
        {
            Doorbell.Wake(&Header->SpaceSeq);
        }
    }

    /// <summary>Wakes the producers that sleep for space, and stops one about to sleep (a cancellation).</summary>
    public void WakeSpaceWaitersAlways() => Doorbell.Wake(&Header->SpaceSeq);
}
