namespace Dvs.Benchmarks.Partners;

/// <summary>
/// Where the two sides run (FLOOR.md measured the floor with two processes on cores 0 and 1):
/// the benchmark thread on CPU 0, every partner on CPU 1, so the two never share a core.
/// </summary>
internal static class Cpus
{
    internal const int Benchmark = 0;
    internal const int Partner = 1;
}
