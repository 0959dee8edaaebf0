using System.Reflection;

namespace Dvs.Tests.Cluster;

/// <summary>
/// TEMPORARY: the node-proxy calls of <see cref="Node"/> (WaitForRemote, GetCounter, GetPeerState)
/// reached by reflection until they land on main, so this branch builds before them. Replaced by
/// direct calls after the merge.
/// </summary>
internal static class ProxyApi
{
    public static DvsError WaitForRemote(this Node node, int dcid, int endpoint, DvsTimeout timeout) =>
        (DvsError)Method(nameof(WaitForRemote)).Invoke(node, [dcid, endpoint, timeout])!;

    public static long GetCounter(this Node node, NodeCounter counter) =>
        Convert.ToInt64(Method(nameof(GetCounter)).Invoke(node, [counter]));

    public static string GetPeerState(this Node node, int nodeId) =>
        (string)Method(nameof(GetPeerState)).Invoke(node, [nodeId])!;

    private static MethodInfo Method(string name) =>
        typeof(Node).GetMethod(name, BindingFlags.Public | BindingFlags.Instance)
        ?? throw new AssertionException($"Node.{name} is not on main yet (the node proxy)");
}
