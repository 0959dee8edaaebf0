using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using Dvs.Benchmarks.Partners;
using Dvs.Benchmarks.Results;

namespace Dvs.Benchmarks;

/// <summary>
/// dotnet run -c Release --project bench/Dvs.Benchmarks -- [options] [BenchmarkDotNet args]
///   --filter '*' --job short        a real run
///   --results &lt;name&gt;              also write docs/benchmarks/&lt;date&gt;-&lt;name&gt;.md (without it nothing
///                                   is written: an exploratory run never overwrites a results file)
///   --smoke                         every benchmark once, quickly (build.ps1); exit 1 on a failure
///   --echo ... / --sink ...         partner modes, started by the benchmarks themselves
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        if (args.Length > 0 && args[0] is "--echo" or "--sink")
        {
            return PartnerMode.Run(args);
        }
        if (args.Length > 0 && args[0] == "--net")
        {
            return Net.NetPartnerMode.Run(args);   // partners of the cross-node benchmarks
        }
#if DEBUG
        Console.Error.WriteLine("benchmarks run from a Release build only: dotnet run -c Release --project bench/Dvs.Benchmarks -- ...");
        return 1;
#else
        if (args.Contains("--smoke"))
        {
            return Smoke();
        }
        if (args.Contains("--migration"))
        {
            return Migration.MigrationBenchmark.Run(args);   // issue 5: a measured program, not BDN
        }
        var rest = new List<string>(args);
        var name = TakeOption(rest, "--results");
        var write = name is not null && !rest.Remove("--no-results");
        var loadBefore = MachineInfo.LoadAverage();
        var summaries = BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run([.. rest], BenchConfig.Full()).ToList();
        if (write && summaries.Any(s => s.Reports.Length > 0))
        {
            var path = ResultsWriter.Write(summaries, name!, loadBefore);
            Console.WriteLine($"results written to {path}");
        }
        return Failed(summaries) ? 1 : 0;
#endif
    }

    private static int Smoke()
    {
        var summaries = BenchmarkRunner.Run([typeof(RoundTripBenchmarks), typeof(OneWayBenchmarks),
            typeof(Net.CrossNodeRoundTripBenchmarks), typeof(Net.CrossNodeThroughputBenchmarks)], BenchConfig.Smoke());
        var failed = Failed(summaries);
        foreach (var report in summaries.SelectMany(s => s.Reports))
        {
            Console.WriteLine($"smoke: {report.BenchmarkCase.Descriptor.WorkloadMethod.Name}: {(report.Success ? "ok" : "FAILED")}");
        }
        return failed ? 1 : 0;
    }

    private static bool Failed(IEnumerable<Summary> summaries) =>
        summaries.Any(s => s.HasCriticalValidationErrors || s.Reports.Length != s.BenchmarksCases.Length || s.Reports.Any(r => !r.Success));

    private static string? TakeOption(List<string> args, string option)
    {
        var at = args.IndexOf(option);
        if (at < 0 || at + 1 >= args.Count)
        {
            return null;
        }
        var value = args[at + 1];
        args.RemoveRange(at, 2);
        return value;
    }
}
