namespace Dvs.Services;

/// <summary>
/// A server whose state can move with its endpoint. A <see cref="ServiceHost"/> calls it from
/// one thread: <see cref="Execute"/> once per request (never twice for a request, even across
/// migrations: the host's exactly-once table answers repeats), <see cref="Snapshot"/> while
/// paused at a message boundary, <see cref="Restore"/> on the target node before it serves.
/// </summary>
public interface IMigratableService
{
    /// <summary>Executes one request and returns its reply.</summary>
    Message Execute(in Message request);

    /// <summary>The whole state, serialized (MemoryPack recommended).</summary>
    byte[] Snapshot();

    /// <summary>Replaces the state with a snapshot taken on another node.</summary>
    void Restore(ReadOnlySpan<byte> snapshot);
}
