using Dvs.Transport;

namespace Dvs.Tests.Transport;

/// <summary>A session sink that checks messages arrive as 0, 1, 2, ... exactly once, and records
/// peer events. <see cref="Accepting"/> = false refuses deliveries (a full local ring).</summary>
internal sealed class RecordingSink : ISessionSink
{
    public long Next { get; private set; }

    public string? FirstError { get; private set; }

    public bool Accepting { get; set; } = true;

    public List<PeerState> States { get; } = new();

    public List<(ulong Incarnation, int Discarded)> Resets { get; } = new();

    public bool TryDeliver(ReliableSession session, in MessageHeader header, ReadOnlySpan<byte> message)
    {
        if (!Accepting)
        {
            return false;
        }
        long value = TransportTestKit.MessageValue(message);
        if (FirstError is null && (value != Next || header.RequestSequence != (uint)value
            || !message.SequenceEqual(TransportTestKit.Message(value))))
        {
            FirstError = $"expected message {Next}, got {value} (request sequence {header.RequestSequence})";
        }
        Next = value + 1;
        return true;
    }

    public void OnPeerStateChanged(ReliableSession session, PeerState state) => States.Add(state);

    public void OnPeerReset(ReliableSession session, ulong newIncarnation, int discardedMessages)
    {
        Resets.Add((newIncarnation, discardedMessages));
        Next = 0; // the new incarnation's stream starts over
    }
}
