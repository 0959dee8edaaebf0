using System.Collections.Concurrent;
using System.Diagnostics;
using System.Reflection;

namespace Dvs.Tests.Cluster;

/// <summary>
/// A .NET program of the repository run as <c>dotnet &lt;dll&gt; args</c> (a node host, the fault
/// relay). Its stdout lines are queued for bounded waits; stderr goes to the test output with a
/// prefix. Killed (SIGKILL) on dispose if still running. Not thread-safe, except that output is
/// collected on the runtime's reader threads.
/// </summary>
internal sealed class ClusterProcess : IDisposable
{
    private readonly Process _process;
    private readonly BlockingCollection<string> _lines = new();
    private readonly ConcurrentQueue<string> _stderr = new();

    /// <param name="launcher">A command that runs <c>dotnet</c> in a changed environment and execs it
    /// (so the pid stays the program's), e.g. <c>ip netns exec ns</c>; null to start dotnet directly.</param>
    public ClusterProcess(string label, string dll, IEnumerable<string> args, bool redirectInput = false,
        IReadOnlyList<string>? launcher = null)
    {
        Label = label;
        var info = new ProcessStartInfo(launcher is null ? "dotnet" : launcher[0])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = redirectInput,
            UseShellExecute = false,
        };
        if (launcher is not null)
        {
            foreach (string a in launcher.Skip(1).Append("dotnet"))
            {
                info.ArgumentList.Add(a);
            }
        }
        info.ArgumentList.Add(dll);
        foreach (string a in args)
        {
            info.ArgumentList.Add(a);
        }
        _process = Process.Start(info) ?? throw new InvalidOperationException($"{label}: dotnet did not start");
        _process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                _lines.CompleteAdding();
            }
            else
            {
                _lines.Add(e.Data);
            }
        };
        _process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                _stderr.Enqueue(e.Data);
                TestContext.Progress.WriteLine($"[{Label} {_process.Id} stderr] {e.Data}");
            }
        };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public string Label { get; }

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>What the program wrote to stderr so far, for failure messages.</summary>
    public string Stderr => string.Join(Environment.NewLine, _stderr);

    public StreamWriter StandardInput => _process.StandardInput;

    /// <summary>The path of a program built beside the tests, from the test assembly's metadata.</summary>
    public static string BuiltProgram(string key)
    {
        string path = typeof(ClusterProcess).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .Single(a => a.Key == key).Value!;
        if (!File.Exists(path))
        {
            Assert.Fail($"{key}: {path} is not built");
        }
        return path;
    }

    /// <summary>
    /// The next stdout line matching <paramref name="match"/> (earlier lines are logged and skipped),
    /// or null when the program ends or <paramref name="timeout"/> passes first.
    /// </summary>
    public string? WaitForLine(Func<string, bool> match, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            TimeSpan left = timeout - clock.Elapsed;
            if (left <= TimeSpan.Zero || !_lines.TryTake(out string? line, left))
            {
                return null;
            }
            if (match(line))
            {
                return line;
            }
            TestContext.Progress.WriteLine($"[{Label} {Pid}] {line}");
        }
    }

    /// <summary>Sends a signal with kill(1): the tests' one way to send SIGTERM without P/Invoke.</summary>
    public void Signal(string signal)
    {
        if (_process.HasExited)
        {
            return;
        }
        using var kill = Process.Start(new ProcessStartInfo("kill") { ArgumentList = { "-" + signal, Pid.ToString() }, UseShellExecute = false })!;
        kill.WaitForExit();
    }

    /// <summary>Waits for the exit; false when it takes longer than <paramref name="timeout"/>.</summary>
    public bool WaitForExit(TimeSpan timeout)
    {
        if (!_process.WaitForExit(timeout))
        {
            return false;
        }
        _process.WaitForExit(); // drains the output readers
        return true;
    }

    public int ExitCode => _process.ExitCode;

    /// <summary>SIGKILL, then waits for the exit (the kernel makes that prompt).</summary>
    public void Kill()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }
            _process.WaitForExit(TimeSpan.FromSeconds(30));
        }
        catch (InvalidOperationException)
        {
            // already gone
        }
    }

    public void Dispose()
    {
        Kill();
        ProcessLogs.Keep(Label, _process.Id, _stderr.ToArray());
        _process.Dispose();
        _lines.Dispose();
    }
}
