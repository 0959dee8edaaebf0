using System.Text;
using Dvs.Transport;

namespace Dvs.Fuzz;

/// <summary>The fixed cluster of the frame targets: name, key and node ids (the seeds are built with them).</summary>
internal static class FuzzCluster
{
    public const string Name = "fuzz";
    /// <summary>The node the frames are for.</summary>
    public const int LocalNode = 0;
    /// <summary>The peer the frames claim to come from.</summary>
    public const int PeerNode = 1;
    /// <summary>A hosted service (kv) on the local node, in DC 0.</summary>
    public const int Service = 10;
    /// <summary>A plain endpoint bound on the local node, in DC 0, that never receives.</summary>
    public const int Plain = 11;

    public static readonly byte[] Key = Encoding.UTF8.GetBytes("fuzz-cluster-key-0123456789abcdef");

    public static readonly ClusterCredentials Credentials = new(Name, Key);
}
