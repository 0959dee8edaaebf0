using System.Security.Cryptography;
using System.Text;

namespace Dvs.Transport;

/// <summary>
/// The cluster a frame belongs to: its id (a hash of the cluster name, carried in every frame) and
/// the key of the frame HMAC. Immutable, thread-safe (each thread hashes with its own state).
/// </summary>
internal sealed class ClusterCredentials
{
    private readonly byte[] _key;

    // One keyed HMAC state per thread, reset after every frame: the one-shot pays OpenSSL's context
    // set-up and key schedule every call (about twice the time), and a frame pays it twice per hop
    // (docs/benchmarks/notes-moved-from-code.md). The native states are freed by their finalizers.
    private readonly ThreadLocal<IncrementalHash> _hmac;

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
        _hmac = new ThreadLocal<IncrementalHash>(() => IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, _key));
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
        Hmac(data, full);
        full[..FrameDescriptor.HmacLength].CopyTo(tag);
    }

    /// <summary>Constant-time check of the truncated HMAC. Allocates nothing.</summary>
    public bool VerifyTag(ReadOnlySpan<byte> data, ReadOnlySpan<byte> tag)
    {
        Span<byte> full = stackalloc byte[HMACSHA256.HashSizeInBytes];
        Hmac(data, full);
        return CryptographicOperations.FixedTimeEquals(full[..FrameDescriptor.HmacLength], tag);
    }

    private void Hmac(ReadOnlySpan<byte> data, Span<byte> full)
    {
        IncrementalHash hmac = _hmac.Value!;
        hmac.AppendData(data);
        hmac.GetHashAndReset(full);
    }
}
