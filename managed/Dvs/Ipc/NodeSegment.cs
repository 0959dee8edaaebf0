using System.Text;
using System.Text.RegularExpressions;
using Dvs.Interop;
using Dvs.Layout;

namespace Dvs.Ipc;

/// <summary>A mapped node segment: created by the node host, opened by every process of the node.</summary>
internal sealed unsafe partial class NodeSegment : IDisposable
{
    private NodeSegment(string nodeName, nint baseAddress, ulong size)
    {
        NodeName = nodeName;
        Name = SegmentNameOf(nodeName);
        Mapping = new SegmentMapping(baseAddress, size);
        Base = (byte*)baseAddress;
        Header = (SegmentHeader*)baseAddress;
    }

    public string NodeName { get; }
    public string Name { get; }
    public SegmentMapping Mapping { get; }
    public byte* Base { get; }
    public SegmentHeader* Header { get; }

    [GeneratedRegex("^[A-Za-z0-9._-]{1,100}$")]
    private static partial Regex NodeNamePattern();

    public static string SegmentNameOf(string nodeName)
    {
        if (!NodeNamePattern().IsMatch(nodeName))
        {
            throw new DvsException(DvsError.BadValue,
                $"node name '{nodeName}' must be 1..100 letters, digits, '.', '_' or '-'");
        }
        return "/dvs-" + nodeName;
    }

    public static NodeSegment Open(string nodeName)
    {
        string name = SegmentNameOf(nodeName);
        Shim.ThrowIfFailed(Shim.SegmentOpen(name, out nint baseAddress, out ulong size), $"attach to node '{nodeName}'");
        return new NodeSegment(nodeName, baseAddress, size);
    }

    /// <summary>The Dvs version of the host that made the segment (its header's build info).</summary>
    public string BuildInfo => ReadName(Header->BuildInfo, 32);

    public static NodeSegment Create(NodeHostOptions options)
    {
        string name = SegmentNameOf(options.NodeName);
        int count = options.Dcs.Count;
        DcConfigNative* dcs = stackalloc DcConfigNative[Math.Max(1, count)];
        for (int i = 0; i < count; i++)
        {
            DcOptions dc = options.Dcs[i];
            dcs[i] = new DcConfigNative
            {
                DcId = dc.DcId, NrProcs = dc.NrProcs, NrTasks = dc.NrTasks, NrSysProcs = dc.NrSysProcs, Nodes = dc.Nodes,
            };
            CopyName(dc.Name, dcs[i].Name, 32);
        }
        NodeConfigNative cfg = new()
        {
            NodeId = options.NodeId,
            RingCapacity = (uint)options.RingCapacity,
            DcCount = count,
            Dcs = dcs,
            // A counter that only grows (issue 11.12): peers drop frames of an older incarnation.
            Incarnation = NodeIncarnation.Next(options.NodeName, options.IncarnationClock()),
        };
        CopyName(options.NodeName, cfg.NodeName, 32);
        CopyName(options.Cluster, cfg.ClusterName, 32);

        int rc = Shim.SegmentCreate(name, &cfg, out nint baseAddress, out ulong size);
        if (rc < 0)
        {
            // The clean-up overwrites the shim's last error: without a stale segment to replace,
            // the create's own error is the one to report (not "shm_unlink: No such file").
            int code = Shim.ErrCode();
            string message = Shim.LastErrorMessage();
            if (!ReplaceIfStale(name, options.NodeName))
            {
                throw new DvsException(Enum.IsDefined(typeof(DvsError), code) ? (DvsError)code : DvsError.Generic,
                    $"create node segment {name}: {message}");
            }
            rc = Shim.SegmentCreate(name, &cfg, out baseAddress, out size);
        }
        Shim.ThrowIfFailed(rc, $"create node segment {name}");
        var segment = new NodeSegment(options.NodeName, baseAddress, size);
        // Informational only (status, a post-mortem of a segment): written by the host, no reader waits on it.
        WriteName(segment.Header->BuildInfo, 32, DvsVersion.Current);
        return segment;
    }

    /// <summary>
    /// An existing segment whose host died (or that has another layout) is left-over state: remove
    /// it. One whose host still runs is an error: two hosts for one node.
    /// </summary>
    private static bool ReplaceIfStale(string name, string nodeName)
    {
        if (Shim.SegmentOpen(name, out nint baseAddress, out ulong size) == 0)
        {
            var header = (SegmentHeader*)baseAddress;
            int pid = header->HostPid;
            bool alive = Shim.PidAlive(pid, header->HostStartTime) == 1;
            Shim.SegmentClose(baseAddress, size);
            if (alive)
            {
                throw new DvsException(DvsError.NodeBusy, $"node '{nodeName}' is already hosted by process {pid}");
            }
        }
        return Shim.SegmentUnlink(name) == 0;
    }

    private static void CopyName(string value, byte* destination, int capacity)
    {
        int n = Encoding.UTF8.GetBytes(value.AsSpan(0, Math.Min(value.Length, capacity - 1)), new Span<byte>(destination, capacity - 1));
        destination[n] = 0;
    }

    public static void WriteName(byte* destination, int capacity, string value)
    {
        new Span<byte>(destination, capacity).Clear();
        CopyName(value, destination, capacity);
    }

    public static string ReadName(byte* source, int capacity)
    {
        var span = new ReadOnlySpan<byte>(source, capacity);
        int end = span.IndexOf((byte)0);
        return Encoding.UTF8.GetString(end < 0 ? span : span[..end]);
    }

    /// <summary>The DC view for <paramref name="dcid"/>: BadDcId out of 0..31, DcNotRun when not on this node.</summary>
    public DvsError TryGetDc(int dcid, out DcView view)
    {
        view = default;
        if ((uint)dcid >= SegmentLayout.MaxDcs)
        {
            return DvsError.BadDcId;
        }
        var descriptor = (DcDescriptor*)(Base + Header->DcsOffset) + dcid;
        if (Volatile.Read(ref descriptor->State) != 1)
        {
            return DvsError.DcNotRun;
        }
        view = new DcView(Base, Header, dcid);
        return DvsError.Ok;
    }

    public void Unlink() => Shim.SegmentUnlink(Name);

    public void Dispose() => Mapping.Dispose();
}
