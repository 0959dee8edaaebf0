namespace Dvs.Services;

/// <summary>
/// The service kind "echo": replies to each request with the request itself (type and payload).
/// Its only state is the number of requests it answered, which moves with it. Called by its
/// <see cref="ServiceHost"/>'s thread only.
/// </summary>
public sealed class EchoService : IMigratableService
{
    public const string KindName = "echo";

    /// <summary>Requests answered, on every node it ran on.</summary>
    public long Executed { get; private set; }

    public Message Execute(in Message request)
    {
        Executed++;
        return request;
    }

    public bool IsDeterministic => true;

    public byte[] Snapshot() => BitConverter.GetBytes(Executed);

    public void Restore(ReadOnlySpan<byte> snapshot) =>
        Executed = snapshot.Length >= sizeof(long) ? BitConverter.ToInt64(snapshot) : 0;
}
