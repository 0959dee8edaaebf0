using System.Buffers.Binary;
using System.Globalization;
using System.IO.Compression;
using System.Reflection;
using Dvs.Cli;
using Dvs.Tests.Configuration;

namespace Dvs.Tests.Packaging;

/// <summary>
/// The packages as a consumer gets them: this build is packed once (Dvs.sln, --no-build, into a
/// temporary folder, under a version of its own so no cached package of the same version stands
/// in for it), then a fresh project that knows the packages only by name builds and runs against
/// them, the tool installs into a temporary tool path, and the packed shim is checked. NuGet
/// extracts into a temporary global packages folder, with the user's as a fallback for the
/// dependencies (Microsoft.Extensions.*, MemoryPack), so nothing is left in the user's cache.
/// </summary>
[TestFixture]
[NonParallelizable]
public class PackagedTests
{
    private static readonly TimeSpan Step = TimeSpan.FromMinutes(5);
    private string _work = "";
    private string _packages = "";
    private string _version = "";
    private Dictionary<string, string> _nugetEnvironment = [];

    [OneTimeSetUp]
    public void PackOnce()
    {
        string repo = Metadata("DvsRepoRoot");
        string configuration = Metadata("DvsConfiguration");
        _work = Directory.CreateTempSubdirectory("dvs-packaged-").FullName;
        _packages = Path.Combine(_work, "packages");
        string stamp = DateTime.UtcNow.ToString("yyyyMMddHHmmssfff", CultureInfo.InvariantCulture);
        _version = VersionAction.Version + (VersionAction.Version.Contains('-') ? "." : "-") + "t" + stamp;
        _nugetEnvironment = new Dictionary<string, string> { ["NUGET_PACKAGES"] = Path.Combine(_work, "nuget-packages") };

        ProcessRun.Result pack = ProcessRun.Run("dotnet",
            ["pack", Path.Combine(repo, "Dvs.sln"), "-c", configuration, "--no-build", "--no-restore", "-o", _packages,
             $"-p:PackageVersion={_version}", "--disable-build-servers"],
            repo, Step);
        Assert.That(pack.ExitCode, Is.EqualTo(0), pack.ToString());

        string userPackages = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        // The packed folder, plus the feeds of the user's own NuGet configuration (not cleared).
        File.WriteAllText(Path.Combine(_work, "NuGet.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <config>
                <add key="globalPackagesFolder" value="{Path.Combine(_work, "nuget-packages")}" />
              </config>
              <packageSources>
                <add key="dvs-packed" value="{_packages}" />
              </packageSources>
              <fallbackPackageFolders>
                <add key="user" value="{userPackages}" />
              </fallbackPackageFolders>
            </configuration>
            """);
        // The temporary folder is the consumer's whole world: no Directory.Build.props from above.
        File.WriteAllText(Path.Combine(_work, "Directory.Build.props"), "<Project />\n");
        File.WriteAllText(Path.Combine(_work, "Directory.Packages.props"), "<Project />\n");
    }

    [OneTimeTearDown]
    public void RemoveTheWorkFolder()
    {
        try
        {
            Directory.Delete(_work, recursive: true);
        }
        catch (IOException)
        {
            // best effort: a temp folder left behind must not fail the run
        }
    }

    [Test]
    public void AFreshProjectBuildsAgainstThePackagesAndRunsANodeHostThroughTheHostingIntegration()
    {
        string project = Path.Combine(_work, "consumer");
        Directory.CreateDirectory(project);
        File.WriteAllText(Path.Combine(project, "Consumer.csproj"), ConsumerProject(_version));
        File.WriteAllText(Path.Combine(project, "Program.cs"), ConsumerProgram);
        using var dir = new ConfigDir();
        string name = ConfigDir.UniqueNodeName();
        string ini = dir.Write("node.ini", OneNodeIni(name));

        ProcessRun.Result build = ProcessRun.Run("dotnet", ["build", "-c", "Release", "--disable-build-servers"], project, Step, _nugetEnvironment);
        Assert.That(build.ExitCode, Is.EqualTo(0), build.ToString());
        string output = Path.Combine(project, "bin", "Release", "net10.0");
        Assert.That(File.Exists(Path.Combine(output, "runtimes", "linux-x64", "native", "libdvsshim.so")), Is.True,
            "the shim comes from the package's runtimes folder");
        Assert.That(Directory.GetFiles(project, "CMakeCache.txt", SearchOption.AllDirectories), Is.Empty, "the consumer never runs CMake");

        ProcessRun.Result run = ProcessRun.Run("dotnet", [Path.Combine(output, "Consumer.dll"), ini], project, Step);
        Assert.That(run.ExitCode, Is.EqualTo(0), run.ToString());
        Assert.That(run.Output, Does.Contain("10000 replies checked"), run.ToString());
        Assert.That(run.Output, Does.Contain("node host stopped"), run.ToString());
        Assert.That(File.Exists($"/dev/shm/dvs-{name}"), Is.False, "the node segment is removed");
    }

    [Test]
    public void TheToolInstallsIntoAToolPathAndRunsVersionAndConfigCheck()
    {
        string tools = Path.Combine(_work, "tools");
        ProcessRun.Result install = ProcessRun.Run("dotnet",
            ["tool", "install", "Dvs.Tool", "--tool-path", tools, "--version", _version, "--add-source", _packages],
            _work, Step, _nugetEnvironment);
        Assert.That(install.ExitCode, Is.EqualTo(0), install.ToString());
        string dvs = Path.Combine(tools, "dvs");

        ProcessRun.Result version = ProcessRun.Run(dvs, ["--version"], _work, Step);
        Assert.That(version.ExitCode, Is.EqualTo(0), version.ToString());
        Assert.That(version.Output.Trim(), Is.EqualTo(VersionAction.Version));

        using var dir = new ConfigDir();
        string ini = dir.Write("node0.ini", OneNodeIni("toolcheck"));
        ProcessRun.Result check = ProcessRun.Run(dvs, ["config", "check", ini], _work, Step);
        Assert.That(check.ExitCode, Is.EqualTo(0), check.ToString());
        Assert.That(check.Output, Does.Contain("valid").And.Contain("toolcheck"));

        string bad = dir.Write("bad.ini", OneNodeIni("toolcheck").Replace("dcid = 0", "dcid = 0\nnr_tasks = 999"));
        ProcessRun.Result refused = ProcessRun.Run(dvs, ["config", "check", bad], _work, Step);
        Assert.That(refused.ExitCode, Is.EqualTo(2), refused.ToString());
        Assert.That(refused.Error, Does.Contain("[dc.dc0] nr_tasks: 999 is out of range"));
    }

    [Test]
    public void ThePackagedShimIsAnElfSharedObjectForEachRuntime()
    {
        using ZipArchive package = ZipFile.OpenRead(Path.Combine(_packages, $"Dvs.{_version}.nupkg"));
        var machines = new Dictionary<string, ushort> { ["linux-x64"] = 62, ["linux-arm64"] = 183 };   // EM_X86_64, EM_AARCH64
        ZipArchiveEntry[] shims = package.Entries.Where(e => e.FullName.EndsWith("/native/libdvsshim.so", StringComparison.Ordinal)).ToArray();
        Assert.That(shims.Select(e => e.FullName), Does.Contain("runtimes/linux-x64/native/libdvsshim.so"));
        if (OnPath("aarch64-linux-gnu-gcc"))
        {
            // Packed whenever the cross compiler is there (.ci/run installs it).
            Assert.That(shims.Select(e => e.FullName), Does.Contain("runtimes/linux-arm64/native/libdvsshim.so"));
        }
        foreach (ZipArchiveEntry shim in shims)
        {
            string rid = shim.FullName.Split('/')[1];
            Assert.That(machines.ContainsKey(rid), Is.True, $"unexpected runtime {rid}");
            var header = new byte[20];
            using (Stream stream = shim.Open())
            {
                stream.ReadExactly(header);
            }
            Assert.That(header[..4], Is.EqualTo(new byte[] { 0x7f, (byte)'E', (byte)'L', (byte)'F' }), shim.FullName);
            Assert.That(header[4], Is.EqualTo(2), $"{shim.FullName}: ELFCLASS64");
            Assert.That(header[5], Is.EqualTo(1), $"{shim.FullName}: little-endian");
            Assert.That(BinaryPrimitives.ReadUInt16LittleEndian(header.AsSpan(16)), Is.EqualTo(3), $"{shim.FullName}: ET_DYN");
            Assert.That(BinaryPrimitives.ReadUInt16LittleEndian(header.AsSpan(18)), Is.EqualTo(machines[rid]), $"{shim.FullName}: e_machine");
        }
        Assert.That(package.Entries.Select(e => e.FullName), Does.Contain("lib/net10.0/Dvs.dll").And.Contain("lib/net10.0/Dvs.xml").And.Contain("README.md"));
        Assert.That(File.Exists(Path.Combine(_packages, $"Dvs.{_version}.snupkg")), Is.True, "symbols package");
    }

    private static bool OnPath(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Any(dir => File.Exists(Path.Combine(dir, program)));

    private static string OneNodeIni(string name) => $"""
        [node]
        id = 0
        name = {name}
        address = 127.0.0.1
        port = {ConfigDir.FreeUdpPort()}

        [cluster]
        name = packaged
        key_file = cluster.key

        [dc.dc0]
        dcid = 0
        nodes = {name}

        """;

    private static string ConsumerProject(string version) => $"""
        <Project Sdk="Microsoft.NET.Sdk">
          <PropertyGroup>
            <OutputType>Exe</OutputType>
            <TargetFramework>net10.0</TargetFramework>
            <ImplicitUsings>enable</ImplicitUsings>
            <Nullable>enable</Nullable>
            <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
          </PropertyGroup>
          <ItemGroup>
            <PackageReference Include="Dvs" Version="{version}" />
            <PackageReference Include="Dvs.Hosting" Version="{version}" />
            <PackageReference Include="Microsoft.Extensions.Hosting" Version="10.0.15" />
          </ItemGroup>
        </Project>
        """;

    // A node host through Dvs.Hosting from the ini given as argument, a service created through DI
    // on endpoint 5, a client on endpoint 6: 10,000 SendRec, every reply checked, then a clean stop.
    private const string ConsumerProgram = """
        using Dvs;
        using Dvs.Hosting;
        using Dvs.Services;
        using Microsoft.Extensions.DependencyInjection;
        using Microsoft.Extensions.Hosting;

        // Dvs runs on Linux only and says so; so does its consumer (else CA1416 at every call).
        [assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]

        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddDvsNodeHost(args[0]);
        builder.Services.AddSingleton(new Offset(1000));
        builder.Services.AddDvsService<Adder>(dcid: 0, endpoint: 5, kind: "adder");
        using IHost host = builder.Build();
        await host.StartAsync();
        Node node = await host.Services.GetRequiredService<DvsNode>().Started;
        int bad = 0;
        using (Endpoint client = node.Bind(0, 6))
        {
            for (int i = 0; i < 10_000 && bad < 10; i++)
            {
                var m = new Message(1) { [0] = i };
                DvsError error = client.SendRec(5, ref m, DvsTimeout.FromMilliseconds(30_000));
                if (error != DvsError.Ok || m[0] != i + 1000)
                {
                    Console.Error.WriteLine($"request {i}: {error}, reply {m[0]}");
                    bad++;
                }
            }
        }
        await host.StopAsync();
        Console.WriteLine(bad == 0 ? "10000 replies checked" : $"{bad} bad replies");
        Console.WriteLine("node host stopped");
        return bad == 0 ? 0 : 1;

        sealed record Offset(long By);

        sealed class Adder(Offset offset) : IMigratableService
        {
            public Message Execute(in Message request)
            {
                Message reply = request;
                reply[0] = request[0] + offset.By;
                return reply;
            }

            public byte[] Snapshot() => [];

            public void Restore(ReadOnlySpan<byte> snapshot)
            {
            }
        }
        """;

    private static string Metadata(string key) =>
        typeof(PackagedTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == key).Value
        ?? throw new InvalidOperationException($"assembly metadata {key} is empty");
}
