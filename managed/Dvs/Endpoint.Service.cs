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
        while (_deferred.TryTake(EndpointNumber.Any, requestsOnly: false, out Message m, out int meta))
        {
            into.Add(new HeldMessage(m, meta));
        }
        Message polled;
        int polledMeta;
        while (Shim.RingPoll(_ring, _dc.RingCapacity, &polled, &polledMeta) == 0)
        {
            into.Add(new HeldMessage(polled, polledMeta));
        }
    }

    /// <summary>Puts messages back in front of everything queued, in their order (served first).</summary>
    internal void Requeue(IReadOnlyList<HeldMessage> held) => _deferred.InsertFront(held);

    /// <summary>Number of the slot's state for tests and the migration.</summary>
    internal uint SlotState => Volatile.Read(ref _self->State);

    /// <summary>Releases this object without freeing the slot: the endpoint now lives on another node.</summary>
    internal void Abandon() => Release();

    internal DcView Dc => _dc;

    internal int SlotIndex => _index;
}
