using System.ComponentModel;
using System.Diagnostics;
using System.Reflection;
using System.Text;
using System.Text.Json;

namespace Dvs.Tests.Native;

/// <summary>
/// The C tests of libdvsshim (tests/native), one NUnit case per ctest test, so that
/// `dotnet test` runs and counts them beside the managed tests. CMake builds them as part of every
/// `dotnet build` of the Dvs project, into the directory named by the DvsNativeBuildDir assembly
/// metadata of this assembly (see Dvs.Tests.csproj).
/// </summary>
[TestFixture]
public class NativeShimTests
{
    private const string BuildDirKey = "DvsNativeBuildDir";

    /// <summary>Each ctest test has its own 60 s TIMEOUT; this only guards against ctest itself hanging.</summary>
    private static readonly TimeSpan CtestLimit = TimeSpan.FromMinutes(3);

    public static IEnumerable<TestCaseData> CtestCases()
    {
        (IReadOnlyList<string> names, string? problem) = ListCtestTests();
        if (names.Count == 0)
        {
            // One failing case rather than none: a missing native build must not pass silently.
            yield return new TestCaseData("", problem ?? "ctest lists no native tests")
                .SetName("NativeTestsAreBuilt");
            yield break;
        }
        foreach (string name in names)
        {
            yield return new TestCaseData(name, null).SetArgDisplayNames(name);
        }
    }

    [TestCaseSource(nameof(CtestCases))]
    public void Ctest(string name, string? problem)
    {
        if (problem is not null)
        {
            Assert.Fail(problem);
        }
        string dir = BuildDir()!;
        (int exitCode, string output) = Run(dir, CtestLimit,
            "-R", "^" + EscapeRegex(name) + "$", "--output-on-failure", "--no-tests=error");
        TestContext.Out.WriteLine(output);
        Assert.That(exitCode, Is.EqualTo(0), () => $"native test {name} failed (ctest exit code {exitCode}):\n{output}");
        Assert.That(output, Does.Contain("0 tests failed out of 1"), () => $"ctest did not run exactly one test:\n{output}");
    }

    private static string? BuildDir() =>
        typeof(NativeShimTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == BuildDirKey)?.Value;

    private static (IReadOnlyList<string> Names, string? Problem) ListCtestTests()
    {
        string? dir = BuildDir();
        if (string.IsNullOrEmpty(dir))
        {
            return ([], $"the test assembly has no {BuildDirKey} metadata (see tests/Dvs.Tests/Dvs.Tests.csproj)");
        }
        if (!File.Exists(Path.Combine(dir, "CTestTestfile.cmake")))
        {
            return ([], $"no native build in {dir}: build without -p:DvsSkipNative=true so that CMake builds the shim and its tests");
        }
        try
        {
            (int exitCode, string output) = Run(dir, TimeSpan.FromMinutes(1), "--show-only=json-v1");
            if (exitCode != 0)
            {
                return ([], $"`ctest --show-only=json-v1` in {dir} failed with exit code {exitCode}:\n{output}");
            }
            using JsonDocument json = JsonDocument.Parse(output);
            var names = new List<string>();
            foreach (JsonElement test in json.RootElement.GetProperty("tests").EnumerateArray())
            {
                names.Add(test.GetProperty("name").GetString()!);
            }
            return (names, names.Count == 0 ? $"ctest lists no tests in {dir}" : null);
        }
        catch (Exception e) when (e is Win32Exception or JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return ([], $"cannot list the native tests in {dir} with ctest: {e.Message}");
        }
    }

    /// <summary>Runs ctest in <paramref name="dir"/>; stdout and stderr together, in arrival order.</summary>
    private static (int ExitCode, string Output) Run(string dir, TimeSpan limit, params string[] args)
    {
        var psi = new ProcessStartInfo("ctest")
        {
            WorkingDirectory = dir,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string a in args)
        {
            psi.ArgumentList.Add(a);
        }
        var output = new StringBuilder();
        using var process = new Process { StartInfo = psi };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) { lock (output) { output.AppendLine(e.Data); } } };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { lock (output) { output.AppendLine(e.Data); } } };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            if (!process.WaitForExit(limit))
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit();
                lock (output)
                {
                    return (-1, $"ctest {string.Join(' ', args)} did not finish within {limit}; killed.\n{output}");
                }
            }
            process.WaitForExit(); // drains the asynchronous readers
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
        lock (output)
        {
            return (process.ExitCode, output.ToString());
        }
    }

    private static string EscapeRegex(string s)
    {
        var sb = new StringBuilder(s.Length * 2);
        foreach (char c in s)
        {
            if ("\\^$.|?*+()[]{}".Contains(c))
            {
                sb.Append('\\');
            }
            sb.Append(c);
        }
        return sb.ToString();
    }
}
