using MemoryPack;

namespace Dvs.Services;

/// <summary>
/// What a pre-copied migration sends once the service paused: the requests executed since the
/// snapshot (client, its incarnation, request sequence, request; replayed on the target in this order, silently:
/// their clients already have their replies) and the requests held unserved (with their ring meta).
/// </summary>
[MemoryPackable]
internal sealed partial class MigrationDelta
{
    public int[] LogClients { get; set; } = [];
    public ulong[] LogIncarnations { get; set; } = [];
    public int[] LogSequences { get; set; } = [];
    public byte[] LogRequests { get; set; } = [];
    public byte[] Held { get; set; } = [];
    public int[] HeldMeta { get; set; } = [];
    public ulong[] HeldIncarnations { get; set; } = [];
}
