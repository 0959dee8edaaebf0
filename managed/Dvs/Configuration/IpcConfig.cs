namespace Dvs.Configuration;

/// <summary>The optional <c>[ipc]</c> section: tuning of the intra-node hot path. Immutable.</summary>
public sealed class IpcConfig
{
    /// <summary>
    /// Default inbound ring capacity (NodeHostOptions.RingCapacity). Large because it is cheap:
    /// ring cells start as zero pages that are backed only when messages reach them (an idle
    /// endpoint costs one page), and a ring smaller than the node host's receive batch sent most
    /// of a burst through the proxy's overflow queue, at about half the rate
    /// (docs/benchmarks/notes-moved-from-code.md).
    /// </summary>
    public const int DefaultRingCapacity = 4096;

    /// <summary>Default spin before a receiver sleeps (WaitStrategy.Default).</summary>
    public const int DefaultSpinUs = 50;

    /// <summary>Largest ring capacity accepted (the shim's limit: a node host refuses more).</summary>
    public const int MaxRingCapacity = 1 << 16;

    /// <summary>Messages per endpoint inbound ring, a power of two.</summary>
    public int RingCapacity { get; init; } = DefaultRingCapacity;

    /// <summary>Microseconds a waiting receiver spins before it sleeps on a futex.</summary>
    public int SpinUs { get; init; } = DefaultSpinUs;
}
