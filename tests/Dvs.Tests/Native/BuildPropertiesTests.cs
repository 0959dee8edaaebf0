using System.Diagnostics;
using System.Reflection;

namespace Dvs.Tests.Native;

/// <summary>
/// The Dvs project's MSBuild properties do not collide with a consumer's (issue 11.24: a consumer
/// building with its own DvsRoot made CMake fail on "&lt;path&gt;."). Evaluation only: nothing is built.
/// </summary>
[TestFixture]
public class BuildPropertiesTests
{
    [Test]
    public void AConsumersDvsRootDoesNotMoveTheNativeSource()
    {
        string buildDir = typeof(BuildPropertiesTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .First(a => a.Key == "DvsNativeBuildDir").Value!;
        string root = Path.GetFullPath(Path.Combine(buildDir, "..", "..", "..")) + Path.DirectorySeparatorChar;
        string project = Path.Combine(root, "managed", "Dvs", "Dvs.csproj");
        string dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet";
        var start = new ProcessStartInfo(dotnet)
        {
            ArgumentList = { "msbuild", project, "-nologo", "-p:DvsRoot=/a/consumer/folder", "-getProperty:_DvsShimSource" },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using Process msbuild = Process.Start(start)!;
        Task<string> output = msbuild.StandardOutput.ReadToEndAsync();
        Task<string> error = msbuild.StandardError.ReadToEndAsync();
        Assert.That(msbuild.WaitForExit(180_000), Is.True, "msbuild did not finish");

        Assert.That(msbuild.ExitCode, Is.EqualTo(0), error.Result);
        Assert.That(output.Result.Trim(), Is.EqualTo(root));
    }
}
