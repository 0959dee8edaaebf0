using Dvs.Transport;

namespace Dvs.Tests.Cluster;

/// <summary>The garbage generator itself: the transport's own frame check rejects everything it makes.</summary>
[TestFixture]
public class GarbageDatagramsSelfTest
{
    [Test]
    public void EveryDatagramItMakesFailsTheFrameCheckAndEveryKindIsMade()
    {
        byte[] key = "0123456789abcdef0123456789abcdef"u8.ToArray();
        var garbage = new GarbageDatagrams(7, "selftest", key, 0, 1, 2);
        var reader = new FrameReader(new ClusterCredentials("selftest", key), 0, 0b111, FrameDescriptor.DefaultMtu, new DropCounters());
        byte[] buffer = new byte[9000];
        for (int i = 0; i < 20_000; i++)
        {
            int length = garbage.Next(buffer);
            Assert.That(reader.TryRead(buffer.AsSpan(0, length), out _), Is.Not.EqualTo(DropReason.None), $"datagram {i}");
        }
        Assert.That(garbage.Made.Values, Has.All.Positive);
    }
}
