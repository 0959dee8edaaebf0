using System.Runtime.InteropServices;

namespace Dvs.Benchmarks.Results;

/// <summary>What a results file says about the machine it was measured on.</summary>
internal sealed record MachineInfo(string CpuModel, int Cores, string Kernel, string Runtime)
{
    internal static MachineInfo Current() => new(
        ReadCpuModel(),
        Environment.ProcessorCount,
        ReadKernel(),
        RuntimeInformation.FrameworkDescription);

    /// <summary>
    /// The 1-minute load average: other work on these 2-vCPU machines disturbs both sides of a
    /// spinning pair, so a results file says how busy the machine was around the run.
    /// </summary>
    internal static string LoadAverage()
    {
        try
        {
            return File.ReadAllText("/proc/loadavg").Split(' ')[0];
        }
        catch (IOException)
        {
            return "unknown";
        }
    }

    private static string ReadCpuModel()
    {
        try
        {
            var line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
            return line is null ? "unknown" : line[(line.IndexOf(':') + 1)..].Trim();
        }
        catch (IOException)
        {
            return "unknown";
        }
    }

    private static string ReadKernel()
    {
        try
        {
            return File.ReadAllText("/proc/sys/kernel/osrelease").Trim();
        }
        catch (IOException)
        {
            return RuntimeInformation.OSDescription;
        }
    }
}
