using MemoryPack;

namespace Dvs.Services;

/// <summary>
/// Everything that moves with an endpoint: the service's state, its exactly-once table and the
/// requests held while it was paused (in arrival order, with their ring meta and client incarnation).
/// </summary>
[MemoryPackable]
internal sealed partial class MigrationPackage
{
    public int DcId { get; set; }
    public int Endpoint { get; set; }
    public string Kind { get; set; } = "";
    public uint Epoch { get; set; }
    public byte[] State { get; set; } = [];
    public int[] TableClients { get; set; } = [];
    public ulong[] TableIncarnations { get; set; } = [];
    public int[] TableSequences { get; set; } = [];
    public byte[] TableReplies { get; set; } = [];
    public byte[] Held { get; set; } = [];
    public int[] HeldMeta { get; set; } = [];
    public ulong[] HeldIncarnations { get; set; } = [];
}
