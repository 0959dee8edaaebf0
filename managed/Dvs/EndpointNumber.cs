namespace Dvs;

/// <summary>
/// The DVS endpoint encoding (include/com/endpoint.h): endpoint = generation * GenerationSize +
/// p_nr, where p_nr is the slot number (negative for tasks). An endpoint keeps its number when its
/// owner migrates; only a rebind with another generation changes it.
/// </summary>
public static class EndpointNumber
{
    /// <summary>Receive from any source (ANY).</summary>
    public const int Any = 0x7ace;
    /// <summary>No endpoint (NONE).</summary>
    public const int None = 0x6ace;
    /// <summary>The caller itself (SELF).</summary>
    public const int Self = 0x8ace;
    /// <summary>_ENDPOINT_GENERATION_SIZE with the largest nr_tasks (35).</summary>
    public const int GenerationSize = Layout.SegmentLayout.MaxTasks + Self + 1;

    public static int Make(int generation, int pnr) => generation * GenerationSize + pnr;

    public static int ProcNr(int endpoint) =>
        ((endpoint + Layout.SegmentLayout.MaxTasks) % GenerationSize + GenerationSize) % GenerationSize - Layout.SegmentLayout.MaxTasks;

    public static int Generation(int endpoint) => (endpoint - ProcNr(endpoint)) / GenerationSize;
}
