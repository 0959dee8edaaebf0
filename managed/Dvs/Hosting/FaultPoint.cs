using System.Diagnostics;

namespace Dvs.Hosting;

/// <summary>
/// Crash points for chaos tests: with <c>DVS_FAULT_POINT=&lt;node name&gt;:&lt;point&gt;</c> in its
/// environment, that node host kills itself (SIGKILL, as <c>kill -9</c> would) on reaching the
/// point, so a test hits a narrow window of the migration protocol exactly instead of racing it.
/// Unset (always, outside tests), a point costs one null check on a migration step, never per message.
/// </summary>
internal static class FaultPoint
{
    /// <summary>The environment variable that arms a point.</summary>
    public const string Variable = "DVS_FAULT_POINT";

    /// <summary>Source: COMMITTED came (the target confirmed), before the handover.</summary>
    public const string SourceCommitted = "source-committed";

    /// <summary>Target: HANDOVER came, before it serves.</summary>
    public const string TargetHandover = "target-handover";

    /// <summary>The point armed for <paramref name="nodeName"/>, or null.</summary>
    /// <param name="nodeName">This node host's node.</param>
    public static string? ArmedFor(string nodeName)
    {
        string? value = Environment.GetEnvironmentVariable(Variable);
        int colon = value?.LastIndexOf(':') ?? -1;
        return colon > 0 && value![..colon] == nodeName ? value[(colon + 1)..] : null;
    }

    /// <summary>Kills this process when <paramref name="point"/> is the armed one.</summary>
    /// <param name="armed">The armed point (<see cref="ArmedFor"/>).</param>
    /// <param name="point">The point reached.</param>
    public static void Reach(string? armed, string point)
    {
        if (armed is not null && armed == point)
        {
            Process.GetCurrentProcess().Kill();
        }
    }
}
