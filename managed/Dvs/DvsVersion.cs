using System.Reflection;

namespace Dvs;

/// <summary>The version of this Dvs build: one for every package (Directory.Build.props).</summary>
public static class DvsVersion
{
    /// <summary>The informational version, e.g. <c>0.1.0</c>; also in each node segment's header.</summary>
    public static string Current { get; } = typeof(DvsVersion).Assembly
        .GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";
}
