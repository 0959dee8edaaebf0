using System.Diagnostics;
using System.Text;

namespace Dvs.Tests.Packaging;

/// <summary>
/// Runs a program (dotnet pack/build/tool, a packed consumer) to its end with captured output and
/// a bounded wait: a process still running at the deadline is killed with its children and the
/// test fails with what it printed so far.
/// </summary>
internal static class ProcessRun
{
    // Set by `dotnet test` for its own MSBuild; a dotnet started from the test must find its own.
    private static readonly string[] Inherited = ["MSBuildExtensionsPath", "MSBuildSDKsPath", "MSBUILD_EXE_PATH", "MSBuildLoadMicrosoftTargetsReadOnly"];

    public sealed record Result(int ExitCode, string Output, string Error)
    {
        public override string ToString() => $"exit code {ExitCode}\n--- stdout\n{Output}\n--- stderr\n{Error}";
    }

    public static Result Run(string program, IEnumerable<string> args, string workingDirectory, TimeSpan timeout,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(program)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        foreach (string name in Inherited)
        {
            start.Environment.Remove(name);
        }
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        start.Environment["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1";
        foreach ((string name, string value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        var output = new StringBuilder();
        var error = new StringBuilder();
        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => Append(output, e.Data);
        process.ErrorDataReceived += (_, e) => Append(error, e.Data);
        process.Start();
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            Assert.Fail($"{program} {string.Join(' ', args)} did not end within {timeout}\n--- stdout\n{Text(output)}\n--- stderr\n{Text(error)}");
        }
        process.WaitForExit();   // the output's last lines
        return new Result(process.ExitCode, Text(output), Text(error));
    }

    private static void Append(StringBuilder into, string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (into)
        {
            into.AppendLine(line);
        }
    }

    private static string Text(StringBuilder from)
    {
        lock (from)
        {
            return from.ToString();
        }
    }
}
