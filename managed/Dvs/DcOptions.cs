using Dvs.Configuration;

namespace Dvs;

/// <summary>A distributed container hosted on a node, with the DVS sizing keys.</summary>
public sealed class DcOptions
{
    /// <summary>DC id, 0..31.</summary>
    public int DcId { get; set; }

    public string Name { get; set; } = "DC0";

    /// <summary>User process slots (NR_PROCS), at least 1; NrTasks + NrProcs at most 4096.</summary>
    public int NrProcs { get; set; } = 221;

    /// <summary>Task slots with negative p_nr (NR_TASKS), at most 35.</summary>
    public int NrTasks { get; set; } = 35;

    /// <summary>
    /// Privileged slots (NR_SYS_PROCS), counted as DVS counts them: from the first task slot, the
    /// task slots included (DVS: <c>p_nr + nr_tasks &lt; nr_sysprocs</c>). So endpoints
    /// -<see cref="NrTasks"/> .. <see cref="FirstUserEndpoint"/> - 1 are privileged: with the
    /// defaults (35 tasks, 64) that is -35 .. 28, not 0 .. 63. At least <see cref="NrTasks"/> (every
    /// task slot is privileged), at most NrTasks + NrProcs.
    /// </summary>
    public int NrSysProcs { get; set; } = 64;

    /// <summary>The first endpoint that is not privileged: <see cref="NrSysProcs"/> - <see cref="NrTasks"/>.</summary>
    public int FirstUserEndpoint => NrSysProcs - NrTasks;

    /// <summary>Bitmap of the nodes the DC spans.</summary>
    public ulong Nodes { get; set; } = 1;

    /// <summary>Adds what is wrong with this DC to <paramref name="problems"/>; <paramref name="seen"/> holds the ids before it.</summary>
    internal void Validate(List<string> problems, HashSet<int> seen)
    {
        string dc = $"DC '{Name}'";
        if (DcId is < 0 or >= DcConfig.MaxDcs)
        {
            problems.Add($"{dc}: DcId {DcId} is out of range 0..{DcConfig.MaxDcs - 1}");
        }
        else if (!seen.Add(DcId))
        {
            problems.Add($"{dc}: DcId {DcId} is configured twice");
        }
        if (NrTasks is < 0 or > DcConfig.MaxNrTasks)
        {
            problems.Add($"{dc}: NrTasks {NrTasks} is out of range 0..{DcConfig.MaxNrTasks}");
        }
        else if (NrProcs < 1 || NrProcs > DcConfig.MaxSlots - NrTasks)
        {
            problems.Add($"{dc}: NrProcs {NrProcs} is out of range 1..{DcConfig.MaxSlots - NrTasks} (NrTasks + NrProcs at most {DcConfig.MaxSlots})");
        }
        else if (NrSysProcs < NrTasks)
        {
            problems.Add($"{dc}: NrSysProcs {NrSysProcs} is less than NrTasks ({NrTasks}): it counts the task slots too, all privileged in DVS");
        }
        else if (NrSysProcs > NrTasks + NrProcs)
        {
            problems.Add($"{dc}: NrSysProcs {NrSysProcs} is out of range {NrTasks}..{NrTasks + NrProcs} (NrTasks .. NrTasks + NrProcs)");
        }
    }
}
