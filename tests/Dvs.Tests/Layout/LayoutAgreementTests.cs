using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Dvs.Interop;
using Dvs.Layout;

namespace Dvs.Tests.Layout;

/// <summary>The shared-memory layout is declared in C and mirrored in C#: both must agree on every field.</summary>
[TestFixture]
public class LayoutAgreementTests
{
    private static readonly Dictionary<string, (Type Type, Dictionary<string, string> Fields)> Mirrors = new()
    {
        ["dvs_message_t"] = (typeof(Message), new() { ["m_source"] = "Source", ["m_type"] = "Type", ["m_payload"] = "Payload" }),
        ["dvs_segment_header_t"] = (typeof(SegmentHeader), new()
        {
            ["magic"] = "Magic", ["layout_version"] = "LayoutVersion", ["header_size"] = "HeaderSize",
            ["segment_size"] = "SegmentSize", ["node_id"] = "NodeId", ["max_dcs"] = "MaxDcs", ["host_pid"] = "HostPid",
            ["ring_capacity"] = "RingCapacity", ["incarnation"] = "Incarnation", ["slot_size"] = "SlotSize",
            ["dc_size"] = "DcSize", ["ring_header_size"] = "RingHeaderSize", ["state"] = "State",
            ["dcs_offset"] = "DcsOffset", ["host_start_time"] = "HostStartTime", ["node_name"] = "NodeName",
            ["cluster_name"] = "ClusterName", ["cell_size"] = "CellSize", ["message_size"] = "MessageSize",
            ["outbound_offset"] = "OutboundOffset", ["proxy_offset"] = "ProxyOffset", ["nodes_offset"] = "NodesOffset",
            ["counters_offset"] = "CountersOffset", ["outbound_capacity"] = "OutboundCapacity", ["proxy_pid"] = "ProxyPid",
            ["build_info"] = "BuildInfo",
        }),
        ["dvs_dc_t"] = (typeof(DcDescriptor), new()
        {
            ["dcid"] = "DcId", ["state"] = "State", ["nr_procs"] = "NrProcs", ["nr_tasks"] = "NrTasks",
            ["nr_sysprocs"] = "NrSysProcs", ["nr_slots"] = "NrSlots", ["nodes"] = "Nodes", ["slots_offset"] = "SlotsOffset",
            ["rings_offset"] = "RingsOffset", ["ring_stride"] = "RingStride", ["notify_offset"] = "NotifyOffset",
            ["notify_words"] = "NotifyWords", ["dir_version"] = "DirVersion", ["name"] = "Name",
        }),
        ["dvs_slot_t"] = (typeof(EndpointSlot), new()
        {
            ["endpoint"] = "Endpoint", ["state"] = "State", ["owner_pid"] = "OwnerPid", ["owner_node"] = "OwnerNode",
            ["epoch"] = "Epoch", ["flags"] = "Flags", ["owner_start_time"] = "OwnerStartTime", ["name"] = "Name",
            ["bind_count"] = "BindCount", ["p_nr"] = "PNr", ["copies"] = "Copies", ["wake_seq"] = "WakeSeq", ["sleeping"] = "Sleeping",
            ["notify_summary"] = "NotifySummary", ["wake_pending"] = "WakePending", ["hold"] = "Hold", ["hold_for"] = "HoldFor", ["reply_word"] = "ReplyWord", ["sent"] = "Sent",
            ["received"] = "Received", ["replies"] = "Replies", ["reply"] = "Reply",
        }),
        ["dvs_ring_header_t"] = (typeof(RingHeader), new()
        {
            ["tail"] = "Tail", ["head"] = "Head", ["space_seq"] = "SpaceSeq", ["space_waiters"] = "SpaceWaiters",
            ["full_count"] = "FullCount", ["space_pending"] = "SpacePending", ["proxy_waiting"] = "ProxyWaiting",
        }),
        ["dvs_cell_t"] = (typeof(RingCell), new()
        {
            ["seq"] = "Seq", ["meta"] = "Meta", ["claim_pid"] = "ClaimPid", ["aux"] = "Aux", ["claim_pos"] = "ClaimPos",
            ["claim_start"] = "ClaimStart", ["message"] = "Message",
        }),
        ["dvs_polled_t"] = (typeof(PolledMessage), new() { ["message"] = "Message", ["meta"] = "Meta", ["aux"] = "Aux" }),
        ["dvs_node_entry_t"] = (typeof(NodeEntry), new()
        {
            ["state"] = "State", ["node_id"] = "NodeId", ["incarnation"] = "Incarnation", ["rtt_ns"] = "RttNs",
            ["retransmissions"] = "Retransmissions", ["name"] = "Name",
        }),
        ["dvs_counters_t"] = (typeof(NodeCounters), new() { ["values"] = "Values" }),
    };

    private static unsafe List<(string Type, string Field, uint Offset, uint Size)> NativeFields()
    {
        LayoutFieldNative* fields;
        int count = Shim.LayoutFields(&fields);
        var list = new List<(string, string, uint, uint)>();
        for (int i = 0; i < count; i++)
        {
            list.Add((Marshal.PtrToStringUTF8(fields[i].TypeName)!, Marshal.PtrToStringUTF8(fields[i].FieldName)!,
                fields[i].Offset, fields[i].Size));
        }
        return list;
    }

    [Test]
    public void EveryNativeStructHasAMirrorOfTheSameSize()
    {
        foreach (var f in NativeFields().Where(f => f.Field == "(size)"))
        {
            Assert.That(Mirrors.ContainsKey(f.Type), Is.True, $"{f.Type} has no C# mirror");
            Type mirror = Mirrors[f.Type].Type;
            int size = (int)typeof(Unsafe).GetMethod(nameof(Unsafe.SizeOf))!.MakeGenericMethod(mirror).Invoke(null, null)!;
            Assert.That(size, Is.EqualTo((int)f.Size), $"sizeof({f.Type}) vs {mirror.Name}");
        }
    }

    [Test]
    public void EveryNativeFieldHasTheSameOffsetAndSizeInCSharp()
    {
        int checkedFields = 0;
        foreach (var f in NativeFields().Where(f => f.Field != "(size)"))
        {
            (Type type, Dictionary<string, string> names) = Mirrors[f.Type];
            Assert.That(names.ContainsKey(f.Field), Is.True, $"{f.Type}.{f.Field} is not mirrored");
            var field = type.GetField(names[f.Field], System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)!;
            int offset = (int)Marshal.OffsetOf(type, field.Name);
            Assert.That(offset, Is.EqualTo((int)f.Offset), $"offset of {f.Type}.{f.Field}");
            int size = FieldSize(field);
            Assert.That(size, Is.EqualTo((int)f.Size), $"size of {f.Type}.{f.Field}");
            checkedFields++;
        }
        Assert.That(checkedFields, Is.GreaterThan(50));
    }

    private static int FieldSize(System.Reflection.FieldInfo field)
    {
        var fixedBuffer = field.GetCustomAttributes(typeof(FixedBufferAttribute), false).OfType<FixedBufferAttribute>().FirstOrDefault();
        if (fixedBuffer is not null)
        {
            return fixedBuffer.Length * Marshal.SizeOf(fixedBuffer.ElementType);
        }
        return (int)typeof(Unsafe).GetMethod(nameof(Unsafe.SizeOf))!.MakeGenericMethod(field.FieldType).Invoke(null, null)!;
    }

    [Test]
    public void ConstantsMatchTheHeader()
    {
        Assert.That(SegmentLayout.Magic, Is.EqualTo(0x31474553535644UL));
        Assert.That(EndpointNumber.GenerationSize, Is.EqualTo(35 + 0x8ace + 1));
        Assert.That(Unsafe.SizeOf<Message>(), Is.EqualTo(64));
    }
}
