using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Dvs.Transport;

namespace Dvs.Hosting.Links;

/// <summary>Hands on a message a link could not send (its peer is down).</summary>
internal delegate void UndeliverableHandler(PeerLink link, in MessageHeader header, in Message message);

/// <summary>
/// Everything this node sends one peer goes through its link: the link owns the peer's
/// <see cref="ReliableSession"/>, the gate every user of the session holds, and one bounded,
/// ordered outbox. Messages leave in the order they were offered, whoever offered them (the
/// outbound ring's messages, forwards, replies, directory and migration control, copy control).
/// </summary>
/// <remarks>
/// <para>Producers on any thread call <see cref="Enqueue"/>, which never touches the session, so
/// a thread that holds another peer's gate (the receiver, delivering) never takes a second one.
/// The sender loop (outbound thread) calls <see cref="Post"/>, which sends at once while the
/// outbox is empty (the hot path: no copy, no allocation), and <see cref="Flush"/>.</para>
/// <para>Bulk frames (a migration's package, vcopy data) stream straight into the session under
/// the gate, back-pressured by its bulk window; they keep their place in the order by one rule:
/// a bulk job sends only while the outbox is empty (<see cref="TrySendBulk"/>,
/// <see cref="TrySendNow"/>), so it never overtakes what was offered before it.</para>
/// <para>Bounded: past <see cref="Capacity"/> messages the outbox refuses
/// (<see cref="LinkStatus.Full"/>); the outbound ring stops draining earlier
/// (<see cref="HoldsBackRing"/>), keeping the rest for forwards and control messages.</para>
/// </remarks>
internal sealed class PeerLink
{
    private readonly Queue<OutboxEntry> _outbox = new();
    // Guards _outbox; taken after the gate when both are held, never before it.
    private readonly Lock _lock = new();
    private int _count;
    private readonly int _ringLimit;

    public PeerLink(ReliableSession session, int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 4);
        Session = session;
        Capacity = capacity;
        _ringLimit = capacity - Math.Min(4096, capacity / 4);
    }

    public int Peer => Session.PeerNode;

    public ReliableSession Session { get; }

    /// <summary>Held by whoever uses the session (it is not thread-safe).</summary>
    public Lock Gate => Session.Gate;

    /// <summary>Messages the outbox holds at most.</summary>
    public int Capacity { get; }

    /// <summary>Messages waiting in the outbox (any thread; a snapshot).</summary>
    public int Queued => Volatile.Read(ref _count);

    /// <summary>The outbox refuses new messages (<see cref="Enqueue"/> returns Full) right now.</summary>
    public bool IsFull => Volatile.Read(ref _count) >= Capacity;

    /// <summary>The outbound ring should wait: the outbox's remaining room is for the other producers.</summary>
    public bool HoldsBackRing => Volatile.Read(ref _count) >= _ringLimit;

    /// <summary>Puts a message at the end of the outbox (any thread; never takes the gate).</summary>
    public LinkStatus Enqueue(in MessageHeader header, in Message message)
    {
        lock (_lock)
        {
            if (_count >= Capacity)
            {
                return LinkStatus.Full;
            }
            _outbox.Enqueue(new OutboxEntry(header, message));
            Volatile.Write(ref _count, _count + 1);
        }
        return LinkStatus.Queued;
    }

    /// <summary>
    /// Puts a message at the end of the outbox past its bound: for messages this node accepted
    /// already (a handover's held messages, whose senders were told they were sent), which may not
    /// be refused. Their number is bounded by the ring and overflow they come from.
    /// </summary>
    public void EnqueueAccepted(in MessageHeader header, in Message message)
    {
        lock (_lock)
        {
            _outbox.Enqueue(new OutboxEntry(header, message));
            Volatile.Write(ref _count, _count + 1);
        }
    }

    /// <summary>
    /// Sends at once when nothing waits, else queues behind what waits. Outbound thread only,
    /// holding no other peer's gate.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public LinkStatus Post(in MessageHeader header, in Message message)
    {
        if (Volatile.Read(ref _count) == 0)
        {
            SendStatus status;
            lock (Gate)
            {
                status = Session.TrySend(header, MemoryMarshal.AsBytes(new ReadOnlySpan<Message>(in message)));
            }
            if (status == SendStatus.Ok)
            {
                return LinkStatus.Sent;
            }
            if (status != SendStatus.BackPressured)
            {
                return LinkStatus.PeerDown;
            }
        }
        return Enqueue(header, message);
    }

    /// <summary>
    /// Hands the outbox on to the session until its window is full. Messages the session refuses
    /// because the peer is down leave the outbox through <paramref name="undeliverable"/>, called
    /// holding no lock. Outbound thread only. Returns the number of messages that left.
    /// </summary>
    /// <param name="undeliverable">Fails the caller of a message for a peer that is down.</param>
    /// <param name="dataMessages">How many of those sent were data (kinds up to <paramref name="lastDataKind"/>).</param>
    /// <param name="lastDataKind">The highest call kind counted as data.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public int Flush(UndeliverableHandler undeliverable, int lastDataKind, out int dataMessages)
    {
        int moved = 0;
        dataMessages = 0;
        while (Volatile.Read(ref _count) != 0)
        {
            OutboxEntry dropped = default;
            bool drop = false;
            lock (Gate)
            {
                while (true)
                {
                    OutboxEntry entry;
                    lock (_lock)
                    {
                        if (_count == 0)
                        {
                            return moved;
                        }
                        entry = _outbox.Peek();
                    }
                    SendStatus status = Session.TrySend(entry.Header, MemoryMarshal.AsBytes(new ReadOnlySpan<Message>(in entry.Message)));
                    if (status == SendStatus.BackPressured)
                    {
                        return moved;
                    }
                    lock (_lock)
                    {
                        _outbox.Dequeue();
                        Volatile.Write(ref _count, _count - 1);
                    }
                    moved++;
                    if (status != SendStatus.Ok)
                    {
                        dropped = entry;
                        drop = true;
                        break;   // handled outside the gate: failing a caller may post to another link
                    }
                    if (entry.Header.CallKind <= lastDataKind)
                    {
                        dataMessages++;
                    }
                }
            }
            if (drop)
            {
                undeliverable(this, dropped.Header, dropped.Message);
            }
        }
        return moved;
    }

    /// <summary>
    /// A bulk job's message (VCOPY-DONE, a migration's OFFER): sent only while the outbox is
    /// empty, so it never overtakes what was offered before it. Call holding <see cref="Gate"/>.
    /// </summary>
    public SendStatus TrySendNow(in MessageHeader header, in Message message) =>
        Volatile.Read(ref _count) != 0
            ? SendStatus.BackPressured
            : Session.TrySend(header, MemoryMarshal.AsBytes(new ReadOnlySpan<Message>(in message)));

    /// <summary>A bulk frame, by the same rule as <see cref="TrySendNow"/>. Call holding <see cref="Gate"/>.</summary>
    public SendStatus TrySendBulk(in MessageHeader header, ReadOnlyMemory<byte> data) =>
        Volatile.Read(ref _count) != 0 ? SendStatus.BackPressured : Session.TrySendBulk(header, data);
}
