using System.CommandLine;
using System.CommandLine.Invocation;

namespace Dvs.Cli;

/// <summary>
/// <c>dvs --version</c>: prints the version of Dvs (one for every package, Directory.Build.props).
/// System.CommandLine's own action prints the entry assembly's, which in-process (tests) is not dvs.
/// </summary>
internal sealed class VersionAction : SynchronousCommandLineAction
{
    /// <summary>The informational version of this build, e.g. <c>0.1.0</c>.</summary>
    public static string Version => DvsVersion.Current;

    /// <inheritdoc />
    public override int Invoke(ParseResult parseResult)
    {
        parseResult.InvocationConfiguration.Output.WriteLine(Version);
        return ExitCode.Ok;
    }
}
