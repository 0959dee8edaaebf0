namespace Dvs.Tests.Cluster;

/// <summary>
/// A node host process: <c>dotnet Dvs.Cli.dll node run --config &lt;ini&gt;</c>. <see cref="Start"/>
/// returns once the host printed its "running" line. Killed on dispose. Not thread-safe.
/// </summary>
internal sealed class NodeProcess : IDisposable
{
    /// <summary>Bound on a host's start (dotnet start-up on a busy 2-core machine included).</summary>
    public static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(30);
    private readonly ClusterProcess _process;

    private NodeProcess(string name, ClusterProcess process)
    {
        Name = name;
        _process = process;
    }

    public string Name { get; }

    public int Pid => _process.Pid;

    public bool HasExited => _process.HasExited;

    /// <summary>What the host wrote to stderr so far (its log).</summary>
    public string Stderr => _process.Stderr;

    /// <summary>
    /// Starts the host of <paramref name="iniPath"/> and waits for its "running" line. Returns null,
    /// with the reason in <paramref name="failure"/>, when the host exits or stays silent first (the
    /// caller decides whether to retry, e.g. after a port clash).
    /// </summary>
    /// <param name="launcher">A command that execs dotnet in a changed environment (<c>ip netns exec ns</c>,
    /// <c>setpriv ...</c>); null to start it directly.</param>
    public static NodeProcess? TryStart(string name, string iniPath, out string? failure, IReadOnlyList<string>? launcher = null)
    {
        string cli = ClusterProcess.BuiltProgram("DvsCli");
        var process = new ClusterProcess($"host {name}", cli, ["node", "run", "--config", iniPath], launcher: launcher);
        string? line = process.WaitForLine(l => l.StartsWith($"node {name} ", StringComparison.Ordinal) && l.Contains(" running", StringComparison.Ordinal), StartTimeout);
        if (line is null)
        {
            bool exited = process.WaitForExit(TimeSpan.FromSeconds(5));
            failure = exited
                ? $"host {name} exited with {process.ExitCode} before running: {process.Stderr}"
                : $"host {name} did not report running within {StartTimeout}: {process.Stderr}";
            process.Dispose();
            return null;
        }
        failure = null;
        TestContext.Progress.WriteLine($"[host {name} {process.Pid}] {line}");
        return new NodeProcess(name, process);
    }

    /// <summary>Starts the host like <see cref="TryStart"/>, failing the test when it does not come up.</summary>
    public static NodeProcess Start(string name, string iniPath, IReadOnlyList<string>? launcher = null) =>
        TryStart(name, iniPath, out string? failure, launcher) ?? throw new AssertionException(failure!);

    /// <summary>The next line the host writes to stdout that matches; null after <paramref name="timeout"/>.</summary>
    public string? WaitForLine(Func<string, bool> match, TimeSpan timeout) => _process.WaitForLine(match, timeout);

    /// <summary>Whether the host's process ended within <paramref name="timeout"/> (a crash point, a kill).</summary>
    public bool WaitForExit(TimeSpan timeout) => _process.WaitForExit(timeout);

    /// <summary>kill -9: the host gets no chance to tell its peers or clean up.</summary>
    public void Kill() => _process.Kill();

    /// <summary>SIGTERM, the normal stop; waits for the exit (SIGKILL after a bound). Returns the exit
    /// code, or null when the host had to be killed.</summary>
    public int? Stop()
    {
        _process.Signal("TERM");
        if (_process.WaitForExit(StopTimeout))
        {
            return _process.ExitCode;
        }
        _process.Kill();
        return null;
    }

    public void Dispose() => _process.Dispose();
}
