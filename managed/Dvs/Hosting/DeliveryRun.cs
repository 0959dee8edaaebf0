using Dvs.Layout;

namespace Dvs.Hosting;

/// <summary>
/// Messages from one peer, accepted in a row for one local endpoint, that go into its ring
/// together (dvs_ring_offer_many: one claim of the tail and one fence for the run instead of a
/// locked CAS and a fence per message). One per peer session, used only under that session's
/// gate; handed on before the session's delivery pass ends (ISessionSink.EndDeliveries), so no
/// accepted message waits here between passes. Not thread-safe.
/// </summary>
internal sealed unsafe class DeliveryRun
{
    /// <summary>Longest run: a frame of 64 KiB holds ~740 messages; runs this long already amortize the fence.</summary>
    public const int Capacity = 256;

    private readonly PolledMessage[] _messages = GC.AllocateArray<PolledMessage>(Capacity, pinned: true);

    public int Count { get; private set; }

    /// <summary>The DC of the endpoint the run is for (valid while Count > 0).</summary>
    public int DcId { get; private set; }

    /// <summary>The endpoint's slot index in its DC (valid while Count > 0).</summary>
    public int Index { get; private set; }

    public bool IsFull => Count == Capacity;

    /// <summary>Whether the next message for (dcid, index) may join this run.</summary>
    public bool Accepts(int dcid, int index) => Count == 0 || (DcId == dcid && Index == index);

    public void Add(int dcid, int index, in Message message, int meta, ulong incarnation)
    {
        if (Count == 0)
        {
            DcId = dcid;
            Index = index;
        }
        ref PolledMessage m = ref _messages[Count++];
        m.Message = message;
        m.Meta = meta;
        m.Aux = incarnation;
    }

    /// <summary>The run's messages, pinned (their address is stable for the native offer).</summary>
    public PolledMessage* Messages => (PolledMessage*)System.Runtime.CompilerServices.Unsafe.AsPointer(ref _messages[0]);

    public ref readonly PolledMessage this[int i] => ref _messages[i];

    public void Clear() => Count = 0;
}
