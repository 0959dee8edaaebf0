namespace Dvs.Hosting;

/// <summary>
/// Where the vcopy chunks that one peer streams to this node are gathered before one
/// process_vm_writev: contiguous chunks coalesce into up to 64 KiB, so a large copy costs a
/// syscall per 64 KiB, not per 56-byte chunk. Used under the peer's session lock only.
/// </summary>
internal sealed class CopyWriter
{
    public const int Capacity = 64 * 1024;

    public readonly byte[] Buffer = GC.AllocateArray<byte>(Capacity, pinned: true);
    public int Pid;
    public long Address;
    public int Length;
    public DvsError Status;

    /// <summary>
    /// The DC and endpoint the copy now streaming from this peer writes into, or -1: a migration of
    /// that endpoint is refused with OnCopy meanwhile (read by other threads, hence volatile).
    /// </summary>
    public volatile int ActiveDc = -1;
    public volatile int ActiveEndpoint;

    /// <summary>Forgets a copy that will not finish (its peer restarted).</summary>
    public void Reset()
    {
        Length = 0;
        Status = DvsError.Ok;
        ActiveDc = -1;
    }
}
