using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Exporters;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace Dvs.Benchmarks;

/// <summary>The BenchmarkDotNet configurations of the suite.</summary>
internal static class BenchConfig
{
    /// <summary>
    /// A real run: the default config plus memory, the GitHub markdown table and P95. The job
    /// comes from the command line (`--job short`, ...); without one, BenchmarkDotNet's default.
    /// </summary>
    internal static IConfig Full() =>
        DefaultConfig.Instance
            .AddDiagnoser(MemoryDiagnoser.Default)
            .AddExporter(MarkdownExporter.GitHub)
            .AddColumn(StatisticColumn.P95);

    /// <summary>
    /// The smoke run of build.ps1: every benchmark once, in this process (no generated project to
    /// build), one warm-up and one iteration of one invocation each. It checks that every
    /// benchmark and its partner work, not how fast they are.
    /// </summary>
    internal static IConfig Smoke() =>
        ManualConfig.CreateEmpty()
            .AddColumnProvider(DefaultColumnProviders.Instance)
            .AddLogger(BenchmarkDotNet.Loggers.ConsoleLogger.Default)
            .AddDiagnoser(MemoryDiagnoser.Default)
            .AddJob(Job.Dry
                .WithWarmupCount(1)
                .WithToolchain(InProcessEmitToolchain.Instance)
                .WithId("Smoke"))
            .WithOptions(ConfigOptions.DisableLogFile);
}
