using System.ComponentModel;
using System.Diagnostics;
using System.Reflection;
using System.Text;

namespace Dvs.Tests.Model;

/// <summary>
/// The Promela model of the migration protocol (tests/model/migration.pml, issue 12.5), checked by
/// spin through tests/model/check.sh: one case per property. The checks share one run of the
/// script (it builds the verifier once per kind of check). spin is a tool of the test run
/// (.ci/run installs it): without it every case fails, none is skipped.
/// </summary>
[TestFixture]
public class MigrationModelTests
{
    private const string ModelDirKey = "DvsModelDir";

    /// <summary>Every check takes seconds; this only guards against a hung verifier.</summary>
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(10);

    private static readonly Lazy<(int ExitCode, string Output)> AllProperties = new(() => RunCheck());

    [TestCase("no_loss")]
    [TestCase("no_duplicate")]
    [TestCase("order")]
    [TestCase("one_server")]
    [TestCase("epochs")]
    [TestCase("lost_after_confirm")]
    [TestCase("migration_ends")]
    [TestCase("clients_answered")]
    [TestCase("fence_fifo")]
    public void PropertyHolds(string property)
    {
        (int exitCode, string output) = AllProperties.Value;
        string? line = output.Split('\n').FirstOrDefault(l => l.StartsWith($"model: {property} ", StringComparison.Ordinal));
        Assert.That(line, Is.Not.Null, () => $"check.sh reported nothing for {property} (exit code {exitCode}):\n{output}");
        TestContext.Out.WriteLine(line);
        Assert.That(line, Does.StartWith($"model: {property} passed"), () => $"spin found a violation of {property}:\n{output}");
    }

    /// <summary>
    /// The model can fail: the protocol as the code had it (the source commits and drops the state
    /// as soon as the target said PREPARED) loses the service when the target dies before it
    /// serves, and spin finds that run.
    /// </summary>
    [Test]
    public void CommittingOnPreparedLosesTheService()
    {
        (int exitCode, string output) = RunCheck("--current-commit", "lost_after_confirm");
        TestContext.Out.WriteLine(output);
        Assert.That(output, Does.Contain("model: lost_after_confirm (current commit) failed"), () => output);
        Assert.That(exitCode, Is.EqualTo(1), () => output);
        Assert.That(output, Does.Contain("counterexample"), () => $"no trail replayed:\n{output}");
    }

    /// <summary>
    /// The FENCE model can fail: without the fence, a third node's one-way messages that switch
    /// from the old owner's path to the new owner's overtake each other, and spin finds that run.
    /// </summary>
    [Test]
    public void WithoutTheFenceOneWayMessagesAreReordered()
    {
        (int exitCode, string output) = RunCheck("--no-fence", "fence_fifo");
        TestContext.Out.WriteLine(output);
        Assert.That(output, Does.Contain("model: fence_fifo (no fence) failed"), () => output);
        Assert.That(exitCode, Is.EqualTo(1), () => output);
        Assert.That(output, Does.Contain("counterexample"), () => $"no trail replayed:\n{output}");
    }

    private static string? ModelDir() =>
        typeof(MigrationModelTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == ModelDirKey)?.Value;

    /// <summary>Runs check.sh; stdout and stderr together, in arrival order.</summary>
    private static (int ExitCode, string Output) RunCheck(params string[] args)
    {
        string? dir = ModelDir();
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
}
