using Dvs.Interop;
using Dvs.Ipc;
using Dvs.Layout;

namespace Dvs;

/// <summary>What a service host and the migration need of an endpoint beyond the DVS primitives.</summary>
public sealed unsafe partial class Endpoint
{
    /// <summary>Makes a Receive / ReceiveRequest waiting on this endpoint return <see cref="DvsError.Intr"/> (from any thread).</summary>
    internal void Interrupt() => _receiver.Interrupt();

    /// <summary>The request sequence of the latest request taken from <paramref name="source"/>.</summary>
    internal int RequestSequenceOf(int source) => _receiver.RequestSequenceOf(source);

    /// <summary>Whether the latest message taken was a request (SendRec), not a one-way Send.</summary>
    internal bool LastTakenWasRequest => _receiver.LastTakenWasRequest;

    /// <summary>The incarnation of the client that sent the latest request taken from <paramref name="source"/> (0: unknown).</summary>
    internal ulong RequestIncarnationOf(int source) => _receiver.RequestIncarnationOf(source);

    /// <summary>This binding's incarnation, as its requests carry it.</summary>
    internal ulong Incarnation => _binding.Incarnation;

    /// <summary>Sets the request sequence a Reply to <paramref name="source"/> answers (a cached reply of a moved table).</summary>
    internal void SetRequestSequence(int source, int sequence) => _receiver.SetRequestSequence(source, sequence);

    /// <summary>Takes every queued message (deferred first, then the ring), in arrival order, with its meta.</summary>
    internal void DrainHeld(List<HeldMessage> into) => _receiver.DrainHeld(into);

    /// <summary>Puts messages back in front of everything queued, in their order (served first).</summary>
    internal void Requeue(IReadOnlyList<HeldMessage> held) => _receiver.Requeue(held);

    /// <summary>Number of the slot's state for tests and the migration.</summary>
    internal uint SlotState => Volatile.Read(ref _binding.Self->State);

    /// <summary>Releases this object without freeing the slot: the endpoint now lives on another node.</summary>
    internal void Abandon() => Release();

    internal DcView Dc => _binding.Dc;

    internal Node OwnerNode => _binding.Node;

    /// <summary>A standby's hand-over: the DC and endpoint the host bound to this process (in the reply cell).</summary>
    internal (int Dc, int Endpoint) HandedOver => (_binding.Self->Reply.Type, _binding.Self->Reply.Source);

    /// <summary>The slot's flags (the service / host handshake of a cross-process migration).</summary>
    internal Layout.SlotFlags Flags => (Layout.SlotFlags)Volatile.Read(ref _binding.Self->Flags);

    internal void SetFlags(Layout.SlotFlags flags) => Interlocked.Or(ref _binding.Self->Flags, (uint)flags);

    internal void ClearFlags(Layout.SlotFlags flags) => Interlocked.And(ref _binding.Self->Flags, ~(uint)flags);

    internal void SetName(string name) => NodeSegment.WriteName(_binding.Self->Name, 16, name);

    /// <summary>Wakes this process's node host proxy (a flag changed).</summary>
    internal void RingProxy() => Doorbell.Wake(&_binding.Dc.Proxy->WakeSeq);

    /// <summary>Waits on this endpoint's doorbell until <paramref name="done"/> holds (bounded).</summary>
    internal bool WaitForFlags(Func<Layout.SlotFlags, uint, bool> done, TimeSpan timeout)
    {
        var condition = new FlagsCondition(_binding.Self, done);
        long deadline = System.Diagnostics.Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * System.Diagnostics.Stopwatch.Frequency);
        return Waiter.Wait(ref condition, &_binding.Self->WakeSeq, &_binding.Self->Sleeping, &_binding.Self->WakePending, WaitStrategy.Blocking, deadline) == DvsError.Ok;
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

    internal int SlotIndex => _binding.Index;
}
