using System.Globalization;
using System.Net;
using Dvs.FaultRelay;

namespace Dvs.Tests.Cluster;

/// <summary>
/// The fault relay (tests/Dvs.FaultRelay) as its own process between two node hosts A and B: A sends
/// to <see cref="ForA"/> to reach B, B to <see cref="ForB"/> to reach A. Its stdin is a pipe from the
/// test, so it also ends when the test process dies. Killed on dispose. Not thread-safe.
/// </summary>
internal sealed class RelayProcess : IDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private readonly ClusterProcess _process;

    private RelayProcess(ClusterProcess process, IPEndPoint forA, IPEndPoint forB)
    {
        _process = process;
        ForA = forA;
        ForB = forB;
    }

    public IPEndPoint ForA { get; }

    public IPEndPoint ForB { get; }

    public int Pid => _process.Pid;

    /// <summary>Starts a relay between the hosts listening at <paramref name="a"/> and <paramref name="b"/>
    /// and waits until it listens.</summary>
    public static RelayProcess Start(string label, IPEndPoint a, IPEndPoint b, FaultOptions faults)
    {
        string relay = ClusterProcess.BuiltProgram("DvsFaultRelay");
        string[] args =
        [
            "--a", a.ToString(), "--b", b.ToString(),
            "--drop", Invariant(faults.Drop), "--dup", Invariant(faults.Duplicate),
            "--reorder", Invariant(faults.Reorder), "--seed", Invariant(faults.Seed),
        ];
        var process = new ClusterProcess(label, relay, args, redirectInput: true);
        string? line = process.WaitForLine(l => l.StartsWith("relay ", StringComparison.Ordinal), StartTimeout);
        if (line is null)
        {
            string why = process.Stderr;
            process.Dispose();
            Assert.Fail($"{label} did not start: {why}");
        }
        string[] parts = line!.Split(' ');
        return new RelayProcess(process, IPEndPoint.Parse(parts[1]), IPEndPoint.Parse(parts[2]));
    }

    /// <summary>Closes its stdin (its stop signal) and returns the counter lines it prints on the way
    /// out (kills it after a bound).</summary>
    public IReadOnlyList<string> Stop()
    {
        var counters = new List<string>();
        try
        {
            _process.StandardInput.Close();
        }
        catch (IOException)
        {
            // already gone
        }
        for (int i = 0; i < 2; i++)
        {
            if (_process.WaitForLine(l => l.StartsWith("a->b", StringComparison.Ordinal) || l.StartsWith("b->a", StringComparison.Ordinal), TimeSpan.FromSeconds(10)) is { } line)
            {
                counters.Add(line);
            }
        }
        if (!_process.WaitForExit(TimeSpan.FromSeconds(10)))
        {
            _process.Kill();
        }
        return counters;
    }

    public void Dispose() => _process.Dispose();

    private static string Invariant(double value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Invariant(int value) => value.ToString(CultureInfo.InvariantCulture);
}
