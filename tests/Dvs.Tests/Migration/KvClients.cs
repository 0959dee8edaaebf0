using System.Globalization;
using Dvs.Tests.Cluster;

namespace Dvs.Tests.Migration;

/// <summary>
/// A Dvs.TestChild "kvclient" process: endpoints on one node incrementing their own key of a "kv"
/// service without pause, each checking its replies are 1, 2, 3... The test drives it through
/// stdin: <see cref="Mark"/> then <see cref="ExpectProgress"/> proves every endpoint made calls
/// after the mark (no sleeps); <see cref="Stop"/> ends it and returns each endpoint's count. Every
/// wait is bounded; killed on dispose. Not thread-safe.
/// </summary>
internal sealed class KvClients : IDisposable
{
    private static readonly TimeSpan LineTimeout = TimeSpan.FromSeconds(90);
    private readonly ClusterProcess _process;

    private KvClients(ClusterProcess process, string nodeName)
    {
        _process = process;
        NodeName = nodeName;
    }

    public string NodeName { get; }

    /// <summary>Starts <paramref name="threads"/> endpoints firstEp.. on <paramref name="nodeName"/>; they
    /// call once this returns (the server is visible there).</summary>
    /// <param name="step">Calls each endpoint makes after a mark before the progress line.</param>
    /// <param name="retry">Retry a call failed by the death of the server's node as the same request (RetrySendRec) until it is back.</param>
    /// <param name="oneWay">Stream one-way Sends of Advance numbered 1, 2, 3... instead of calls (the count is what was sent).</param>
    public static KvClients Start(string nodeName, int dc, int firstEp, int threads, int server, int step, bool retry = false, bool oneWay = false)
    {
        string child = ClusterProcess.BuiltProgram("DvsTestChild");
        string mode = oneWay ? "oneway" : retry ? "retry" : "once";
        var process = new ClusterProcess($"kvclient {nodeName}", child,
            ["kvclient", nodeName, Str(dc), Str(firstEp), Str(threads), Str(server), Str(step), mode], redirectInput: true);
        var clients = new KvClients(process, nodeName);
        string line = clients.NextLine(l => l == "ready" || l.StartsWith("FAIL", StringComparison.Ordinal), "ready");
        if (line != "ready")
        {
            clients.Dispose();
            Assert.Fail($"kvclient on {nodeName}: {line}");
        }
        return clients;
    }

    /// <summary>Asks for a progress line once every endpoint made its step of calls from now on.</summary>
    public void Mark() => Send("mark");

    /// <summary>Waits for the progress line after a <see cref="Mark"/>; returns the calls made so far.
    /// Fails the test on a FAIL line (a lost, repeated or reordered reply, or a call error).</summary>
    public long ExpectProgress()
    {
        string line = NextLine(l => l.StartsWith("progress ", StringComparison.Ordinal) || l.StartsWith("FAIL", StringComparison.Ordinal), "progress");
        Assert.That(line, Does.StartWith("progress "), $"kvclient on {NodeName}");
        return long.Parse(line["progress ".Length..], CultureInfo.InvariantCulture);
    }

    /// <summary>Stops the calls (each endpoint finishes its current one), checks the role ended
    /// well and returns the number of calls of each endpoint.</summary>
    public IReadOnlyDictionary<int, long> Stop()
    {
        Send("stop");
        string line = NextLine(l => l.StartsWith("done ", StringComparison.Ordinal) || l.StartsWith("FAIL", StringComparison.Ordinal), "done");
        Assert.That(line, Does.StartWith("done "), $"kvclient on {NodeName}");
        Assert.That(_process.WaitForExit(LineTimeout), Is.True, $"kvclient on {NodeName} exits");
        Assert.That(_process.ExitCode, Is.EqualTo(0), $"kvclient on {NodeName} exit code");
        // done <total> counts <ep>:<n>,<ep>:<n>
        string[] parts = line.Split(' ');
        var counts = parts[3].Split(',').Select(p => p.Split(':'))
            .ToDictionary(p => int.Parse(p[0], CultureInfo.InvariantCulture), p => long.Parse(p[1], CultureInfo.InvariantCulture));
        Assert.That(counts.Values.Sum(), Is.EqualTo(long.Parse(parts[1], CultureInfo.InvariantCulture)));
        TestContext.Progress.WriteLine($"[kvclient {NodeName}] {line}");
        return counts;
    }

    /// <summary>kill -9 (its node's host died with it).</summary>
    public void Kill() => _process.Kill();

    public void Dispose() => _process.Dispose();

    private void Send(string command)
    {
        _process.StandardInput.WriteLine(command);
        _process.StandardInput.Flush();
    }

    private string NextLine(Func<string, bool> match, string what) =>
        _process.WaitForLine(match, LineTimeout)
        ?? throw new AssertionException($"kvclient on {NodeName}: no '{what}' line within {LineTimeout.TotalSeconds} s "
            + $"(exited: {_process.HasExited}); stderr: {_process.Stderr}");

    private static string Str(int value) => value.ToString(CultureInfo.InvariantCulture);
}
