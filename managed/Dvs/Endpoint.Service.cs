using Dvs.Interop;
using Dvs.Ipc;
using Dvs.Layout;

namespace Dvs;

/// <summary>What a service host and the migration need of an endpoint beyond the DVS primitives.</summary>
public sealed unsafe partial class Endpoint
{
    /// <summary>Makes a Receive / ReceiveRequest waiting on this endpoint return <see cref="DvsError.Intr"/> (from any thread).</summary>
    internal void Interrupt()
    {
        _interrupt = 1;
        Interlocked.MemoryBarrier();
        Doorbell.Wake(&_self->WakeSeq);
    }

    /// <summary>The request sequence of the latest request taken from <paramref name="source"/>.</summary>
    internal int RequestSequenceOf(int source)
    {
        int index = _dc.SlotIndexOf(source);
        return index < 0 ? 0 : _lastRequest[index];
    }

    /// <summary>The incarnation of the client that sent the latest request taken from <paramref name="source"/> (0: unknown).</summary>
    internal ulong RequestIncarnationOf(int source)
    {
        int index = _dc.SlotIndexOf(source);
        return index < 0 ? 0 : _lastRequestIncarnation[index];
    }

    /// <summary>This binding's incarnation, as its requests carry it.</summary>
    internal ulong Incarnation => _incarnation;

    /// <summary>Sets the request sequence a Reply to <paramref name="source"/> answers (a cached reply of a moved table).</summary>
    internal void SetRequestSequence(int source, int sequence)
    {
        int index = _dc.SlotIndexOf(source);
        if (index >= 0)
        {
            _lastRequest[index] = sequence;
        }
    }

    /// <summary>Takes every queued message (deferred first, then the ring), in arrival order, with its meta.</summary>
    internal void DrainHeld(List<HeldMessage> into)
    {
        while (_deferred.TryTake(EndpointNumber.Any, requestsOnly: false, out Message m, out int meta, out ulong incarnation))
        {
            into.Add(new HeldMessage(m, meta, incarnation));
        }
        Message polled;
        int polledMeta;
        ulong polledIncarnation;
        while (_ring.TryPoll(&polled, &polledMeta, &polledIncarnation))
        {
            into.Add(new HeldMessage(polled, polledMeta, polledIncarnation));
        }
    }

    /// <summary>Puts messages back in front of everything queued, in their order (served first).</summary>
    internal void Requeue(IReadOnlyList<HeldMessage> held) => _deferred.InsertFront(held);

    /// <summary>Number of the slot's state for tests and the migration.</summary>
    internal uint SlotState => Volatile.Read(ref _self->State);

    /// <summary>Releases this object without freeing the slot: the endpoint now lives on another node.</summary>
    internal void Abandon() => Release();

    internal DcView Dc => _dc;

    internal Node OwnerNode => _node;

    /// <summary>A standby's hand-over: the DC and endpoint the host bound to this process (in the reply cell).</summary>
    internal (int Dc, int Endpoint) HandedOver => (_self->Reply.Type, _self->Reply.Source);

    /// <summary>The slot's flags (the service / host handshake of a cross-process migration).</summary>
    internal Layout.SlotFlags Flags => (Layout.SlotFlags)Volatile.Read(ref _self->Flags);

    internal void SetFlags(Layout.SlotFlags flags) => Interlocked.Or(ref _self->Flags, (uint)flags);

    internal void ClearFlags(Layout.SlotFlags flags) => Interlocked.And(ref _self->Flags, ~(uint)flags);

    internal void SetName(string name) => NodeSegment.WriteName(_self->Name, 16, name);

    /// <summary>Wakes this process's node host proxy (a flag changed).</summary>
    internal void RingProxy() => Doorbell.Wake(&_dc.Proxy->WakeSeq);

    /// <summary>Waits on this endpoint's doorbell until <paramref name="done"/> holds (bounded).</summary>
    internal bool WaitForFlags(Func<Layout.SlotFlags, uint, bool> done, TimeSpan timeout)
    {
        var condition = new FlagsCondition(_self, done);
        long deadline = System.Diagnostics.Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * System.Diagnostics.Stopwatch.Frequency);
        return Waiter.Wait(ref condition, &_self->WakeSeq, &_self->Sleeping, &_self->WakePending, WaitStrategy.Blocking, deadline) == DvsError.Ok;
    }

    private readonly struct FlagsCondition : IWaitCondition
    {
        private readonly EndpointSlot* _slot;
        private readonly Func<Layout.SlotFlags, uint, bool> _done;

        public FlagsCondition(EndpointSlot* slot, Func<Layout.SlotFlags, uint, bool> done)
        {
            _slot = slot;
            _done = done;
        }

        public int Poll() => _done((Layout.SlotFlags)Volatile.Read(ref _slot->Flags), Volatile.Read(ref _slot->State)) ? 1 : 0;

        public DvsError CheckPeer() => DvsError.Ok;
    }

    internal int SlotIndex => _index;
}
