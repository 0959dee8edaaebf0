using System.Buffers;

namespace Dvs.Services;

/// <summary>
/// A server whose state can move with its endpoint. A <see cref="ServiceHost"/> calls it from
/// one thread: <see cref="Execute"/> once per request (never twice for a request, even across
/// migrations: the host's exactly-once table answers repeats), <see cref="Snapshot()"/> at a
/// message boundary, <see cref="Restore"/> on the target node before it serves.
/// </summary>
public interface IMigratableService
{
    /// <summary>
    /// Executes one message and returns its reply: a request (SendRec), whose reply goes back to
    /// its caller, or a one-way Send, executed for its effect (the reply is dropped; a one-way
    /// message has no exactly-once entry: its sender cannot replay it).
    /// </summary>
    Message Execute(in Message request);

    /// <summary>The whole state, serialized (MemoryPack recommended).</summary>
    byte[] Snapshot();

    /// <summary>Replaces the state with a snapshot taken on another node.</summary>
    void Restore(ReadOnlySpan<byte> snapshot);

    /// <summary>
    /// Writes the same bytes as <see cref="Snapshot()"/> into <paramref name="into"/>, a buffer the
    /// node host reuses from one migration to the next. Override it (MemoryPack serializes into an
    /// IBufferWriter) so a large state costs no fresh array: for 100 MiB a fresh one is ~25,000
    /// page faults.
    /// </summary>
    void Snapshot(IBufferWriter<byte> into) => into.Write(Snapshot());

    /// <summary>
    /// True when <see cref="Execute"/>'s reply and effect on the state depend only on the state and
    /// the request (no clock, no randomness, no I/O). A migration then copies the state while the
    /// service goes on serving, and replays on the target the requests executed meanwhile (pre-copy):
    /// the service pauses only for that short log, not for the state transfer.
    /// </summary>
    bool IsDeterministic => false;
}
