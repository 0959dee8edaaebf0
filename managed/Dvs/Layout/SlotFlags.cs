namespace Dvs.Layout;

/// <summary>
/// Bits of dvs_slot_t.flags. They let a node host migrate a service that runs in its own process:
/// the host and the service's process talk through the slot (a flag and the slot's doorbell).
/// </summary>
[Flags]
internal enum SlotFlags : uint
{
    None = 0,
    /// <summary>A migratable service runs on this endpoint (the slot's name is its kind).</summary>
    Service = 1,
    /// <summary>A standby process: it takes migrated services of its kind (the slot's name).</summary>
    Standby = 2,
    /// <summary>Host to service: pause at a message boundary and write your package.</summary>
    MigrateRequest = 4,
    /// <summary>Service to host: paused, the package is written.</summary>
    Packaged = 8,
    /// <summary>Host to service: committed elsewhere, stop serving.</summary>
    Committed = 16,
    /// <summary>
    /// Host to local senders: bound here by a migration; wait before sending to it until the
    /// node host's own FENCE came back through the old owner (what they sent before went that
    /// way, and must arrive first). Cleared by the node host.
    /// </summary>
    Fenced = 32,
}
