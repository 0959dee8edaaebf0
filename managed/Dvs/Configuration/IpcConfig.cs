namespace Dvs.Configuration;

/// <summary>The optional <c>[ipc]</c> section: tuning of the intra-node hot path. Immutable.</summary>
public sealed class IpcConfig
{
    /// <summary>Default inbound ring capacity (NodeHostOptions.RingCapacity).</summary>
    public const int DefaultRingCapacity = 256;

    /// <summary>Default spin before a receiver sleeps (WaitStrategy.Default).</summary>
    public const int DefaultSpinUs = 50;

    /// <summary>Largest ring capacity accepted.</summary>
    public const int MaxRingCapacity = 1 << 20;

    /// <summary>Messages per endpoint inbound ring, a power of two.</summary>
    public int RingCapacity { get; init; } = DefaultRingCapacity;

    /// <summary>Microseconds a waiting receiver spins before it sleeps on a futex.</summary>
    public int SpinUs { get; init; } = DefaultSpinUs;
}
