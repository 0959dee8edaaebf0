using Dvs.Layout;

namespace Dvs.Tests.Ipc;

/// <summary>
/// A node segment whose header is valid (magic, version, struct sizes, length) but whose offsets,
/// sizes or counts are not: attaching must fail with an error that names the segment and the
/// field, never crash (SIGSEGV on a far offset) or size an allocation from garbage.
/// </summary>
[TestFixture]
public unsafe class BadSegmentTests
{
    private const ulong Far = 1UL << 40;

    [TestCase("dcs_offset", Far)]
    [TestCase("outbound_offset", Far)]
    [TestCase("counters_offset", Far)]
    [TestCase("nodes_offset", Far)]
    [TestCase("ring_capacity", 1UL << 31)]
    [TestCase("outbound_capacity", 3UL)]
    [TestCase("max_dcs", (ulong)int.MaxValue)]
    [TestCase("slots_offset", Far)]
    [TestCase("rings_offset", Far)]
    [TestCase("notify_offset", Far)]
    [TestCase("nr_slots", (ulong)int.MaxValue)]
    [TestCase("ring_stride", 64UL)]
    public void AttachingToASegmentWithAnOffsetOrCountOutsideTheFileFailsNamingTheField(string field, ulong value)
    {
        // A copy of a real node's segment, spoiled in one field: no live host reads it meanwhile.
        using var node = new TestNode(ringCapacity: 8, nrProcs: 16, nrTasks: 4, nrSysProcs: 8);
        byte[] image = File.ReadAllBytes("/dev/shm/dvs-" + node.Name);
        fixed (byte* bytes = image)
        {
            var header = (SegmentHeader*)bytes;
            Spoil(header, (DcDescriptor*)(bytes + header->DcsOffset), field, value);   // DC 0
        }
        string copy = "t" + Guid.NewGuid().ToString("N")[..12];
        string path = "/dev/shm/dvs-" + copy;
        File.WriteAllBytes(path, image);
        try
        {
            var ex = Assert.Throws<DvsException>(() => Node.Attach(copy).Dispose())!;
            Assert.That(ex.Error, Is.EqualTo(DvsError.BadValue));
            Assert.That(ex.Message, Does.Contain(field).And.Contain("/dvs-" + copy), ex.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static void Spoil(SegmentHeader* header, DcDescriptor* dc, string field, ulong value)
    {
        switch (field)
        {
            case "dcs_offset": header->DcsOffset = value; break;
            case "outbound_offset": header->OutboundOffset = value; break;
            case "counters_offset": header->CountersOffset = value; break;
            case "nodes_offset": header->NodesOffset = value; break;
            case "ring_capacity": header->RingCapacity = (uint)value; break;
            case "outbound_capacity": header->OutboundCapacity = (uint)value; break;
            case "max_dcs": header->MaxDcs = (int)value; break;
            case "slots_offset": dc->SlotsOffset = value; break;
            case "rings_offset": dc->RingsOffset = value; break;
            case "notify_offset": dc->NotifyOffset = value; break;
            case "nr_slots": dc->NrSlots = (int)value; break;
            case "ring_stride": dc->RingStride = value; break;
            default: throw new ArgumentOutOfRangeException(nameof(field), field, null);
        }
    }
}
