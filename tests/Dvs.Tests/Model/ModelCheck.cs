using System.ComponentModel;
using System.Diagnostics;
using System.Reflection;
using System.Text;

namespace Dvs.Tests.Model;

/// <summary>
/// Runs tests/model/check.sh (spin) for the model tests: its output, stdout and stderr together in
/// arrival order, and its exit code. The folder comes from the DvsModelDir metadata of the test
/// assembly (Dvs.Tests.csproj).
/// </summary>
internal static class ModelCheck
{
    private const string ModelDirKey = "DvsModelDir";

    /// <summary>Every check takes seconds; this only guards against a hung verifier.</summary>
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(10);

    /// <summary>Runs check.sh with <paramref name="args"/>; exit code -1 when it could not run or hung.</summary>
    /// <param name="args">check.sh's arguments: options, then properties.</param>
    public static (int ExitCode, string Output) Run(params string[] args)
    {
        string? dir = typeof(ModelCheck).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == ModelDirKey)?.Value;
        if (string.IsNullOrEmpty(dir) || !File.Exists(Path.Combine(dir, "check.sh")))
        {
            return (-1, $"no tests/model/check.sh at '{dir}' (the {ModelDirKey} metadata of the test assembly)");
        }
        var psi = new ProcessStartInfo("bash")
        {
            WorkingDirectory = dir,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add(Path.Combine(dir, "check.sh"));
        foreach (string a in args)
        {
            psi.ArgumentList.Add(a);
        }
        var output = new StringBuilder();
        using var process = new Process { StartInfo = psi };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) { lock (output) { output.AppendLine(e.Data); } } };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { lock (output) { output.AppendLine(e.Data); } } };
        try
        {
            process.Start();
        }
        catch (Win32Exception e)
        {
            return (-1, $"cannot run bash for tests/model/check.sh: {e.Message}");
        }
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!process.WaitForExit(Limit))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            lock (output)
            {
                return (-1, $"check.sh {string.Join(' ', args)} did not finish within {Limit}; killed.\n{output}");
            }
        }
        process.WaitForExit(); // drains the asynchronous readers
        lock (output)
        {
            return (process.ExitCode, output.ToString());
        }
    }

    /// <summary>check.sh's line about <paramref name="property"/> ("model: &lt;property&gt;&lt;label&gt; passed|failed ..."), or null.</summary>
    /// <param name="output">What check.sh printed.</param>
    /// <param name="property">The property, with its variant label if any (e.g. "no_loss (ASYNC)").</param>
    public static string? LineOf(string output, string property) =>
        output.Split('\n').FirstOrDefault(l => l.StartsWith($"model: {property} ", StringComparison.Ordinal));

    /// <summary>Asserts that check.sh reported <paramref name="label"/> as passed (and writes its line).</summary>
    /// <param name="run">check.sh's exit code and output.</param>
    /// <param name="label">The property, with its variant label if any.</param>
    public static void ExpectPassed((int ExitCode, string Output) run, string label)
    {
        string? line = LineOf(run.Output, label);
        Assert.That(line, Is.Not.Null, () => $"check.sh reported nothing for {label} (exit code {run.ExitCode}):\n{run.Output}");
        TestContext.Out.WriteLine(line);
        Assert.That(line, Does.StartWith($"model: {label} passed"), () => $"spin found a violation of {label}:\n{run.Output}");
    }

    /// <summary>Asserts that check.sh reported <paramref name="label"/> as failed, exit code 1, with
    /// the counterexample replayed.</summary>
    /// <param name="run">check.sh's exit code and output.</param>
    /// <param name="label">The property, with its variant label.</param>
    public static void ExpectFailed((int ExitCode, string Output) run, string label)
    {
        TestContext.Out.WriteLine(run.Output);
        Assert.That(run.Output, Does.Contain($"model: {label} failed"), () => run.Output);
        Assert.That(run.ExitCode, Is.EqualTo(1), () => run.Output);
        Assert.That(run.Output, Does.Contain("counterexample"), () => $"no trail replayed:\n{run.Output}");
    }
}
