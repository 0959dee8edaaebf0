namespace Dvs.Configuration;

/// <summary>
/// A <c>[dc.&lt;name&gt;]</c> section: a distributed container, with the DVS key names and defaults
/// (include/com/dvs_config.h). Endpoint slots run over p_nr in [-nr_tasks, nr_procs); slots below
/// nr_sysprocs are privileged. Immutable.
/// </summary>
public sealed class DcConfig
{
    /// <summary>DVS NR_PROCS.</summary>
    public const int DefaultNrProcs = 221;

    /// <summary>DVS NR_TASKS; also the largest allowed, because it fixes the endpoint encoding.</summary>
    public const int DefaultNrTasks = 35;

    /// <summary>DVS NR_SYS_PROCS.</summary>
    public const int DefaultNrSysProcs = 64;

    /// <summary>Largest nr_tasks (DVS_MAX_TASKS in the shim header).</summary>
    public const int MaxNrTasks = 35;

    /// <summary>Largest nr_tasks + nr_procs (DVS_MAX_SLOTS in the shim header).</summary>
    public const int MaxSlots = 4096;

    /// <summary>Largest number of DCs; dcid is 0..MaxDcs-1.</summary>
    public const int MaxDcs = 32;

    /// <summary>DC name (the part after <c>dc.</c>).</summary>
    public required string Name { get; init; }

    /// <summary>DC id, 0..31, unique in the file.</summary>
    public required int DcId { get; init; }

    /// <summary>Ids of the nodes the DC spans, ascending, no duplicates.</summary>
    public required IReadOnlyList<int> Nodes { get; init; }

    /// <summary>User process slots.</summary>
    public int NrProcs { get; init; } = DefaultNrProcs;

    /// <summary>Kernel task slots (negative p_nr).</summary>
    public int NrTasks { get; init; } = DefaultNrTasks;

    /// <summary>Privileged slots, counted from the first task slot as in DVS: endpoints
    /// -NrTasks .. NrSysProcs - NrTasks - 1 are privileged (defaults: -35 .. 28). At least NrTasks.</summary>
    public int NrSysProcs { get; init; } = DefaultNrSysProcs;

    /// <summary>The DVS <c>dc_nodes</c> bitmap: bit n set when node n is in the DC.</summary>
    public ulong NodeMask
    {
        get
        {
            ulong mask = 0;
            foreach (int node in Nodes)
            {
                mask |= 1UL << node;
            }

            return mask;
        }
    }
}
