namespace Dvs;

/// <summary>A distributed container hosted on a node, with the DVS sizing keys.</summary>
public sealed class DcOptions
{
    /// <summary>DC id, 0..31.</summary>
    public int DcId { get; set; }

    public string Name { get; set; } = "DC0";

    /// <summary>User process slots (NR_PROCS).</summary>
    public int NrProcs { get; set; } = 221;

    /// <summary>Task slots with negative p_nr (NR_TASKS), at most 35.</summary>
    public int NrTasks { get; set; } = 35;

    /// <summary>Slots below this index are privileged (NR_SYS_PROCS).</summary>
    public int NrSysProcs { get; set; } = 64;

    /// <summary>Bitmap of the nodes the DC spans.</summary>
    public ulong Nodes { get; set; } = 1;
}
