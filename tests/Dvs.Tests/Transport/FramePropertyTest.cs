using CsCheck;
using Dvs.Transport;
using NUnit.Framework;
using static Dvs.Tests.Transport.TransportTestKit;

namespace Dvs.Tests.Transport;

/// <summary>Random and mutated datagrams never throw and never validate.</summary>
public sealed class FramePropertyTest
{
    // One thread: the machine has two cores shared with other work.
    private const int Threads = 1;

    [Test]
    public void RandomBytesNeverThrowAndNeverValidate()
    {
        var drops = new DropCounters();
        FrameReader reader = ReaderAtB(drops, FrameDescriptor.MaxFrameLength);
        Gen.Byte.Array[0, 2000].Sample(bytes =>
        {
            Assert.That(reader.TryRead(bytes, out _), Is.Not.EqualTo(DropReason.None));
        }, iter: 20_000, threads: Threads);
        Assert.That(drops.Total, Is.EqualTo(20_000));
    }

    [Test]
    public void RandomBytesBehindAValidLookingHeaderNeverValidate()
    {
        // Random bodies behind a plausible header get past the cheap checks, so the HMAC (and
        // the length checks) must catch them.
        byte[] template = DataFrame(3);
        FrameReader reader = ReaderAtB();
        Gen.Byte.Array[0, 400].Sample(body =>
        {
            byte[] frame = [.. template.AsSpan(0, FrameDescriptor.HeaderLength), .. body];
            Assert.That(reader.TryRead(frame, out _), Is.Not.EqualTo(DropReason.None));
        }, iter: 10_000, threads: Threads);
    }

    [Test]
    public void MutatedValidFramesNeverValidateButTheOriginalDoes()
    {
        FrameReader reader = ReaderAtB();
        var gen = Gen.Select(Gen.Int[0, 4], Gen.Int[0, 10_000], Gen.Byte[1, 255], Gen.Int[0, 3]);
        gen.Sample((count, position, xor, extra) =>
        {
            int messages = count == 0 && extra == 0 ? 1 : count; // a data frame, or an ack (count 0)
            byte[] original = messages == 0 ? AckFrame() : DataFrame(messages);
            Assert.That(reader.TryRead(original, out _), Is.EqualTo(DropReason.None));

            // One byte changed (xor never 0), then possibly some more bytes changed as well.
            byte[] mutated = (byte[])original.Clone();
            int p = position % mutated.Length;
            mutated[p] ^= xor;
            for (int i = 1; i <= extra; i++)
            {
                mutated[(p + i * 37) % mutated.Length] ^= (byte)(xor * (i + 1) | 1);
            }
            if (!mutated.AsSpan().SequenceEqual(original))
            {
                Assert.That(reader.TryRead(mutated, out _), Is.Not.EqualTo(DropReason.None));
            }

            // Truncated or extended copies.
            int cut = position % original.Length;
            Assert.That(reader.TryRead(original.AsSpan(0, cut), out _), Is.Not.EqualTo(DropReason.None));
            byte[] longer = [.. original, .. new byte[1 + extra]];
            Assert.That(reader.TryRead(longer, out _), Is.Not.EqualTo(DropReason.None));
        }, iter: 20_000, threads: Threads);
    }

    private static byte[] AckFrame()
    {
        var buffer = new byte[FrameDescriptor.MinFrameLength];
        new FrameWriter(buffer).Complete(Header(FrameKind.Ack), Credentials);
        return buffer;
    }
}
