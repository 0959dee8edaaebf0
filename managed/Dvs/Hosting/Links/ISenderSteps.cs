namespace Dvs.Hosting.Links;

/// <summary>
/// The node proxy's work the sender loop runs each pass, in this order, besides its own (the
/// sessions' timers). Each returns true when it did something (the loop then passes again
/// instead of sleeping). Outbound thread only.
/// </summary>
internal interface ISenderSteps
{
    /// <summary>Starts a pass; returns the doorbell word to sleep on if the pass finds nothing to do.</summary>
    uint BeginPass();

    /// <summary>Binds and unbinds of local endpoints, to the peers.</summary>
    bool AnnounceDirectoryChanges();

    /// <summary>Peers that came up (sync) or went down (fail their waiters).</summary>
    bool ApplyPeerEvents();

    /// <summary>Migration commands and events, packages, stubs.</summary>
    bool ProcessMigrations();

    /// <summary>The peers' outboxes into their sessions (before the ring's newer messages).</summary>
    bool FlushLinks();

    /// <summary>The node's outbound ring into the peers' links.</summary>
    bool DrainOutbound();

    /// <summary>The copies served here.</summary>
    bool ProcessCopyJobs();

    /// <summary>Overflowed messages into local rings that have room again.</summary>
    bool FlushOverflow();

    /// <summary>Nothing to do: sleep (after a short spin) until rung, or until <paramref name="deadline"/>.</summary>
    /// <param name="observed">What <see cref="BeginPass"/> returned.</param>
    /// <param name="deadline">The sessions' next timer (ticks; long.MaxValue: none).</param>
    void Idle(uint observed, long deadline);
}
