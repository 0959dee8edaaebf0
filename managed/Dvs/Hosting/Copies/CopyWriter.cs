using Dvs.Interop;

namespace Dvs.Hosting.Copies;

/// <summary>
/// Where the vcopy chunks that one peer streams to this node are gathered before one
/// process_vm_writev: contiguous chunks coalesce into up to 64 KiB, so a large copy costs a
/// syscall per 64 KiB, not per 56-byte chunk. Used under the peer's session lock only.
/// </summary>
internal sealed unsafe class CopyWriter
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

    /// <summary>
    /// Adds <paramref name="bytes"/>, bound for <paramref name="address"/> in process
    /// <paramref name="pid"/>, to what is gathered; what was gathered is written first when these
    /// do not continue it or would not fit.
    /// </summary>
    /// <param name="pid">The destination process.</param>
    /// <param name="address">Where in it the bytes go.</param>
    /// <param name="bytes">At most <see cref="Capacity"/> bytes.</param>
    public void Append(int pid, long address, ReadOnlySpan<byte> bytes)
    {
        if (Length > 0 && (Pid != pid || Address + Length != address || Length + bytes.Length > Capacity))
        {
            Flush();
        }
        if (Length == 0)
        {
            Pid = pid;
            Address = address;
        }
        bytes.CopyTo(Buffer.AsSpan(Length));
        Length += bytes.Length;
    }

    /// <summary>Writes what is gathered into the destination process (one process_vm_writev); a
    /// failure sets <see cref="Status"/> to Fault unless it holds an earlier error.</summary>
    public void Flush()
    {
        if (Length == 0)
        {
            return;
        }
        fixed (byte* buffer = Buffer)
        {
            if (Shim.VCopy(Shim.GetPid(), (ulong)buffer, Pid, (ulong)Address, (ulong)Length) != 0 && Status == DvsError.Ok)
            {
                Status = DvsError.Fault;
            }
        }
        Length = 0;
    }
}
