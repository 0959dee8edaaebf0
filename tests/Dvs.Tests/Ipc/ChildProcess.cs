using System.Collections.Concurrent;
using System.Diagnostics;
using System.Reflection;

namespace Dvs.Tests.Ipc;

/// <summary>
/// A Dvs.TestChild process. Its stdout lines are collected; tests wait for a line (bounded, so a
/// broken child fails the test instead of hanging it). Always killed on dispose.
/// </summary>
internal sealed class ChildProcess : IDisposable
{
    private static readonly TimeSpan LineTimeout = TimeSpan.FromMinutes(3);
    private readonly Process _process;
    private readonly BlockingCollection<string> _lines = new();

    public ChildProcess(params string[] args)
    {
        string child = typeof(ChildProcess).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .Single(a => a.Key == "DvsTestChild").Value!;
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(child);
        foreach (string a in args)
        {
            info.ArgumentList.Add(a);
        }
        _process = Process.Start(info)!;
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
                TestContext.Progress.WriteLine($"[child {_process.Id} stderr] {e.Data}");
            }
        };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public int Pid => _process.Id;

    /// <summary>The next stdout line; fails the test if the child ends or stays silent too long.</summary>
    public string ReadLine()
    {
        if (!_lines.TryTake(out string? line, LineTimeout))
        {
            Assert.Fail(_lines.IsAddingCompleted ? $"child {Pid} exited without output" : $"child {Pid} silent for {LineTimeout}");
        }
        return line!;
    }

    public void ExpectLine(string expected)
    {
        string line = ReadLine();
        Assert.That(line, Is.EqualTo(expected), $"child {Pid}");
    }

    public int WaitForExit()
    {
        if (!_process.WaitForExit(LineTimeout))
        {
            Assert.Fail($"child {Pid} did not exit");
        }
        _process.WaitForExit();
        return _process.ExitCode;
    }

    public void Kill()
    {
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                Kill();
            }
        }
        catch (InvalidOperationException)
        {
        }
        _process.Dispose();
    }
}
