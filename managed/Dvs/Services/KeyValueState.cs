using MemoryPack;

namespace Dvs.Services;

/// <summary>The state of a <see cref="KeyValueService"/>, as it moves between nodes.</summary>
[MemoryPackable]
internal sealed partial class KeyValueState
{
    public Dictionary<long, long> Values { get; set; } = new();
    public long Executed { get; set; }
    public byte[] Ballast { get; set; } = [];
}
