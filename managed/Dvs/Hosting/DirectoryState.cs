namespace Dvs.Hosting;

/// <summary>
/// What the proxy last announced to its peers about one DC's local endpoints: per slot the key
/// (bind count &lt;&lt; 32 | endpoint) of the announced binding, 0 when none; and the DC's
/// directory version at that time.
/// </summary>
internal sealed class DirectoryState
{
    public DirectoryState(int slots) => Announced = new ulong[slots];

    public uint Version { get; set; } = uint.MaxValue;

    public ulong[] Announced { get; }

    public static ulong Key(uint bindCount, int endpoint) => ((ulong)bindCount << 32) | (uint)endpoint;
}
