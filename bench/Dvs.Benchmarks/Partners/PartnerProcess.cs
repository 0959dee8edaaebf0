using System.Diagnostics;

namespace Dvs.Benchmarks.Partners;

/// <summary>
/// A partner process of a benchmark (the echo or the sink on the other CPU). It prints "ready"
/// once it is set up; Start returns only then, so no benchmark ever sleeps to synchronize. Its
/// stdin is a pipe held by this process: partners exit at end of file, so even a benchmark
/// process killed outright leaves none behind. Dispose kills it and waits for it.
/// Not thread-safe; used from a benchmark's GlobalSetup / GlobalCleanup.
/// </summary>
internal sealed class PartnerProcess : IDisposable
{
    private readonly Process process;

    private PartnerProcess(Process process) => this.process = process;

    /// <summary>Starts dvs-floor (the C partner) from the folder of this assembly.</summary>
    internal static PartnerProcess StartFloor(string mode, string shmName, int cpu) =>
        Start(Path.Combine(AppContext.BaseDirectory, "dvs-floor"), [mode, shmName, cpu.ToString()]);

    /// <summary>
    /// Starts this benchmark assembly again in a partner mode (see Program). Under BenchmarkDotNet
    /// the entry assembly is a generated one; its runtimeconfig and deps files also describe this
    /// assembly, so `dotnet exec` with them runs our Main.
    /// </summary>
    internal static PartnerProcess StartSelf(params string[] arguments)
    {
        var entry = System.Reflection.Assembly.GetEntryAssembly()?.Location
            ?? throw new InvalidOperationException("no entry assembly");
        var folder = Path.GetDirectoryName(entry)!;
        var stem = Path.GetFileNameWithoutExtension(entry);
        var self = typeof(PartnerProcess).Assembly.Location;
        var all = new List<string>
        {
            "exec",
            "--runtimeconfig", Path.Combine(folder, stem + ".runtimeconfig.json"),
            "--depsfile", Path.Combine(folder, stem + ".deps.json"),
            self,
        };
        all.AddRange(arguments);
        return Start(DotnetHost(), all);
    }

    private static string DotnetHost()
    {
        var path = Environment.ProcessPath;
        if (path is not null && Path.GetFileNameWithoutExtension(path) == "dotnet")
        {
            return path;
        }
        var root = Environment.GetEnvironmentVariable("DOTNET_ROOT");
        if (root is not null && File.Exists(Path.Combine(root, "dotnet")))
        {
            return Path.Combine(root, "dotnet");
        }
        return "dotnet";
    }

    internal static PartnerProcess Start(string fileName, IEnumerable<string> arguments)
    {
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }
        var process = Process.Start(info) ?? throw new InvalidOperationException($"cannot start {fileName}");
        var partner = new PartnerProcess(process);
        try
        {
            var line = process.StandardOutput.ReadLine();
            if (line != "ready")
            {
                throw new InvalidOperationException(
                    $"partner {fileName} {string.Join(' ', info.ArgumentList)} did not get ready (said: {line ?? "<eof>"})");
            }
            return partner;
        }
        catch
        {
            partner.Dispose();
            throw;
        }
    }

    /// <summary>Kills the partner (if still running) and waits until it is gone.</summary>
    public void Dispose()
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
            process.WaitForExit();
        }
        finally
        {
            process.Dispose();
        }
    }
}
