using System.Globalization;
using System.Text;
using BenchmarkDotNet.Exporters;
using BenchmarkDotNet.Loggers;
using BenchmarkDotNet.Reports;

namespace Dvs.Benchmarks.Results;

/// <summary>
/// Writes docs/benchmarks/&lt;yyyy-MM-dd&gt;-&lt;name&gt;.md after a run: the date, the machine, each
/// BenchmarkDotNet table, and per benchmark its ratio to the floor of the same run, with the
/// targets of issue 3 (spin SendRec at most 1.5x the C floor, at least 5x faster than the
/// socket peer, 0 B allocated). Only the ratios mean anything across runs (FLOOR.md).
/// </summary>
internal static class ResultsWriter
{
    private const double FloorTarget = 1.5;
    private const double PeerTarget = 5.0;

    internal static string Write(IReadOnlyList<Summary> summaries, string name, string loadBefore)
    {
        var now = DateTime.UtcNow;
        var folder = Path.Combine(RepositoryRoot(), "docs", "benchmarks");
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, $"{now:yyyy-MM-dd}-{name}.md");
        File.WriteAllText(path, Render(summaries, name, now, MachineInfo.Current(), loadBefore, MachineInfo.LoadAverage()));
        return path;
    }

    internal static string Render(IReadOnlyList<Summary> summaries, string name, DateTime now, MachineInfo machine, string loadBefore, string loadAfter)
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"# Benchmarks: {name}, {now:yyyy-MM-dd HH:mm} UTC");
        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"- CPU: {machine.CpuModel}, {machine.Cores} cores");
        text.AppendLine(CultureInfo.InvariantCulture, $"- Kernel: {machine.Kernel}");
        text.AppendLine(CultureInfo.InvariantCulture, $"- .NET: {machine.Runtime}");
        text.AppendLine(CultureInfo.InvariantCulture, $"- Load average (1 min) before / after the run: {loadBefore} / {loadAfter}");
        text.AppendLine("- Benchmark thread pinned to CPU 0, every partner process to CPU 1; 64-byte messages.");
        text.AppendLine();
        text.AppendLine("The C floor (native/floor: shared memory, both sides spinning on an atomic) was measured");
        text.AppendLine("in the same run, right beside the other benchmarks: the host moves the vCPUs between near");
        text.AppendLine("and far placements, so only the ratios to it count (see FLOOR.md). Reproduce with");
        text.AppendLine("`dotnet run -c Release --project bench/Dvs.Benchmarks -- --filter '*' --job short`.");
        foreach (var summary in summaries.Where(s => s.Reports.Length > 0))
        {
            text.AppendLine();
            text.AppendLine(CultureInfo.InvariantCulture, $"## {summary.BenchmarksCases[0].Descriptor.Type.Name}");
            text.AppendLine();
            var table = new AccumulationLogger();
            MarkdownExporter.GitHub.ExportToLog(summary, table);
            text.AppendLine(table.GetLog().Trim());
            text.AppendLine();
            text.AppendLine("Ratios to the floor of this run:");
            text.AppendLine();
            foreach (var line in RatioLines(summary))
            {
                text.AppendLine(line);
            }
        }
        return text.ToString();
    }

    private static IEnumerable<string> RatioLines(Summary summary)
    {
        var results = summary.Reports
            .Where(r => r.ResultStatistics is not null)
            .ToDictionary(r => r.BenchmarkCase.Descriptor.WorkloadMethod.Name, Measured.From);
        var floor = results.Values.FirstOrDefault(m => m.IsBaseline);
        foreach (var m in results.Values)
        {
            var ratio = floor is null ? "no floor in this run" : $"{m.Nanoseconds / floor.Nanoseconds:F2}x the floor";
            yield return $"- {m.Title}: {Format(m.Nanoseconds)} per op, {ratio}, {m.AllocatedText} allocated per op";
        }
        if (floor is null)
        {
            yield break;
        }
        // issue 3, point 8: the targets of the spinning SendRec (and the one-way Send, for memory).
        if (results.TryGetValue("DvsSendRecSpinning", out var spin))
        {
            var toFloor = spin.Nanoseconds / floor.Nanoseconds;
            yield return $"- Target, spin SendRec <= {FloorTarget}x the C floor: {toFloor:F2}x, {Verdict(toFloor <= FloorTarget)}";
            foreach (var peer in new[] { "UdsBusyPoll", "UdsBlocking" })
            {
                if (results.TryGetValue(peer, out var uds))
                {
                    var faster = uds.Nanoseconds / spin.Nanoseconds;
                    yield return $"- Target, spin SendRec >= {PeerTarget}x faster than {uds.Title}: {faster:F1}x, {Verdict(faster >= PeerTarget)}";
                }
            }
        }
        foreach (var m in results.Values.Where(m => m.Method.StartsWith("Dvs", StringComparison.Ordinal)))
        {
            yield return $"- Target, 0 B allocated per op, {m.Title}: {m.AllocatedText}, {Verdict(m.Allocated == 0)}";
        }
    }

    private static string Verdict(bool met) => met ? "met" : "NOT met";

    private static string Format(double nanoseconds) => nanoseconds switch
    {
        >= 1_000_000 => $"{nanoseconds / 1_000_000:F2} ms",
        >= 1_000 => $"{nanoseconds / 1_000:F2} µs",
        _ => $"{nanoseconds:F1} ns",
    };

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Dvs.sln")))
            {
                return dir.FullName;
            }
        }
        return Directory.GetCurrentDirectory();
    }

    private sealed record Measured(string Method, string Title, bool IsBaseline, double Nanoseconds, long? Allocated)
    {
        internal string AllocatedText => Allocated is { } bytes ? $"{bytes} B" : "unknown";

        internal static Measured From(BenchmarkReport report)
        {
            var descriptor = report.BenchmarkCase.Descriptor;
            return new Measured(
                descriptor.WorkloadMethod.Name,
                descriptor.WorkloadMethodDisplayInfo,
                descriptor.Baseline,
                report.ResultStatistics!.Mean,
                report.GcStats.GetBytesAllocatedPerOperation(report.BenchmarkCase));
        }
    }
}
