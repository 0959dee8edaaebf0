namespace Dvs.Transport;

/// <summary>
/// How a <see cref="TcpChannel"/> admits an accepted connection: its first frame must pass the
/// cluster's HMAC and every check of <see cref="FrameReader"/>, name a configured peer whose IP
/// address the connection comes from, be at most <see cref="MaxFirstFrame"/> bytes and arrive
/// within <see cref="Timeout"/>. Until then the connection holds a buffer of one such frame only.
/// Not thread-safe; set before the channel opens.
/// </summary>
internal sealed class TcpAuthentication(ClusterCredentials credentials, int localNode, int maxFirstFrame)
{
    public ClusterCredentials Credentials { get; } = credentials;

    public int LocalNode { get; } = localNode;

    /// <summary>The largest first frame (the MTU: bulk frames over TCP are never larger).</summary>
    public int MaxFirstFrame { get; } = Math.Clamp(maxFirstFrame, FrameDescriptor.MinFrameLength, FrameDescriptor.MaxFrameLength);

    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(2);
}
