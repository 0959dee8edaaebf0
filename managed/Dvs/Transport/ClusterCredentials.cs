using System.Security.Cryptography;
using System.Text;

namespace Dvs.Transport;

/// <summary>
/// The cluster a frame belongs to: its id (a hash of the cluster name, carried in every frame) and
/// the key of the frame HMAC. Immutable, thread-safe.
/// </summary>
internal sealed class ClusterCredentials
{
    private readonly byte[] _key;

    public ClusterCredentials(string clusterName, ReadOnlySpan<byte> key)
    {
        ArgumentException.ThrowIfNullOrEmpty(clusterName);
        // A short key makes the HMAC guessable; 16 bytes is the least a key file should hold.
        if (key.Length < 16)
        {
            throw new ArgumentException("the cluster key must be at least 16 bytes", nameof(key));
        }
        ClusterName = clusterName;
        ClusterId = ComputeClusterId(clusterName);
        _key = key.ToArray();
    }

    public string ClusterName { get; }

    public uint ClusterId { get; }

    public ReadOnlySpan<byte> Key => _key;

    /// <summary>First four bytes (little-endian) of SHA-256 over the UTF-8 cluster name.</summary>
    public static uint ComputeClusterId(string clusterName)
    {
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.UTF8.GetBytes(clusterName), hash);
        return System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(hash);
    }

    /// <summary>Computes the truncated HMAC of <paramref name="data"/> into <paramref name="tag"/>
    /// (FrameDescriptor.HmacLength bytes). Allocates nothing.</summary>
    public void ComputeTag(ReadOnlySpan<byte> data, Span<byte> tag)
    {
        Span<byte> full = stackalloc byte[HMACSHA256.HashSizeInBytes];
        HMACSHA256.HashData(_key, data, full);
        full[..FrameDescriptor.HmacLength].CopyTo(tag);
    }

    /// <summary>Constant-time check of the truncated HMAC. Allocates nothing.</summary>
    public bool VerifyTag(ReadOnlySpan<byte> data, ReadOnlySpan<byte> tag)
    {
        Span<byte> full = stackalloc byte[HMACSHA256.HashSizeInBytes];
        HMACSHA256.HashData(_key, data, full);
        return CryptographicOperations.FixedTimeEquals(full[..FrameDescriptor.HmacLength], tag);
    }
}
