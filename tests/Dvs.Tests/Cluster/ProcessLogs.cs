using System.Collections.Concurrent;
using NUnit.Framework.Interfaces;

namespace Dvs.Tests.Cluster;

/// <summary>
/// The logs of a test's node hosts, relays and client programs, kept when they are disposed and
/// written to the test's output only when the test failed: the TRX and the console of
/// <c>dotnet test</c> then show what each process said, which a failure in CI otherwise loses
/// (their stderr goes to the progress stream, which neither keeps).
/// </summary>
internal static class ProcessLogs
{
    /// <summary>Lines kept per process: the end, where a failure is.</summary>
    private const int LinesPerProcess = 400;

    private static readonly ConcurrentDictionary<string, ConcurrentQueue<string>> ByTest = new();

    /// <summary>Keeps what <paramref name="label"/> wrote for the running test.</summary>
    /// <param name="label">Which process (e.g. "host node1").</param>
    /// <param name="pid">Its process id (a restarted host has another).</param>
    /// <param name="lines">What it wrote to stderr.</param>
    public static void Keep(string label, int pid, IReadOnlyCollection<string> lines)
    {
        string id = TestContext.CurrentContext.Test.ID;
        if (string.IsNullOrEmpty(id) || lines.Count == 0)
        {
            return;
        }
        var text = new System.Text.StringBuilder();
        int skip = Math.Max(0, lines.Count - LinesPerProcess);
        text.AppendLine($"----- {label} (pid {pid}), stderr{(skip > 0 ? $", last {LinesPerProcess} of {lines.Count} lines" : "")}");
        foreach (string line in lines.Skip(skip))
        {
            text.AppendLine(line);
        }
        ByTest.GetOrAdd(id, _ => new ConcurrentQueue<string>()).Enqueue(text.ToString());
    }

    /// <summary>Writes the test's kept logs to its output if it failed; forgets them either way.</summary>
    /// <param name="test">The test that ended.</param>
    public static void Settle(ITest test)
    {
        if (!ByTest.TryRemove(test.Id, out ConcurrentQueue<string>? logs))
        {
            return;
        }
        ResultState outcome = TestContext.CurrentContext.Result.Outcome;
        if (outcome.Status is TestStatus.Failed)
        {
            foreach (string log in logs)
            {
                TestContext.Out.Write(log);
            }
        }
    }
}
