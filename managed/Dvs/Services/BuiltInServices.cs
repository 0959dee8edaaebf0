namespace Dvs.Services;

/// <summary>
/// The service kinds every `dvs node run` host can start from a <c>[service.&lt;name&gt;]</c> section
/// and restore when one migrates to it. Thread-safe (immutable).
/// </summary>
public static class BuiltInServices
{
    private static readonly Dictionary<string, Func<IMigratableService>> Factories = new(StringComparer.Ordinal)
    {
        [KeyValueService.KindName] = () => new KeyValueService(),
        [EchoService.KindName] = () => new EchoService(),
    };

    /// <summary>The kind names, sorted.</summary>
    public static IReadOnlyList<string> Kinds { get; } = Factories.Keys.Order(StringComparer.Ordinal).ToArray();

    /// <summary>Whether <paramref name="kind"/> is built in (names are case-sensitive).</summary>
    public static bool IsKnown(string kind) => Factories.ContainsKey(kind);

    /// <summary>Registers every built-in kind on <paramref name="host"/>.</summary>
    public static void RegisterAll(NodeHost host)
    {
        ArgumentNullException.ThrowIfNull(host);
        foreach ((string kind, Func<IMigratableService> factory) in Factories)
        {
            host.RegisterServiceKind(kind, factory);
        }
    }
}
