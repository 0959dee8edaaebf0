using System.Runtime.InteropServices;
using Dvs.Hosting.Copies;
using Dvs.Interop;

namespace Dvs.Tests.Hosting.Copies;

/// <summary>
/// <see cref="CopyWriter"/> gathers contiguous pieces of a copy into one write, and writes what it
/// holds before a piece that does not continue it: every byte lands where its piece said, whatever
/// the order of flushes. The destination is this process's own memory.
/// </summary>
[TestFixture]
public unsafe class CopyWriterTests
{
    [Test]
    public void ContiguousPiecesLandInOneWriteAndAGapWritesWhatWasGatheredFirst()
    {
        const int Size = 3 * 1000;
        byte* destination = (byte*)NativeMemory.AllocZeroed(Size);
        try
        {
            var writer = new CopyWriter();
            byte[] piece = new byte[1000];
            // Pieces 0 and 1 continue each other; piece 2 goes back to the start of the region's
            // third part after a jump (not contiguous with piece 1's end when written out of order).
            Fill(piece, 1);
            writer.Append(Shim.GetPid(), (long)destination, piece);
            Fill(piece, 2);
            writer.Append(Shim.GetPid(), (long)(destination + 1000), piece);
            Assert.That(writer.Length, Is.EqualTo(2000), "contiguous pieces are gathered, not written");
            Assert.That(destination[0], Is.EqualTo(0), "nothing written before a flush");

            Fill(piece, 3);
            writer.Append(Shim.GetPid(), (long)(destination + 2500), piece[..500]);
            Assert.That(writer.Length, Is.EqualTo(500), "a gap writes what was gathered and starts again");
            Assert.That(destination[0], Is.EqualTo(1));
            Assert.That(destination[1999], Is.EqualTo(2));

            writer.Flush();
            Assert.That(writer.Length, Is.Zero);
            Assert.That(writer.Status, Is.EqualTo(DvsError.Ok));
            Assert.That(destination[2499], Is.EqualTo(0), "the gap stays untouched");
            Assert.That(destination[2500], Is.EqualTo(3));
            Assert.That(destination[2999], Is.EqualTo(3));
        }
        finally
        {
            NativeMemory.Free(destination);
        }
    }

    [Test]
    public void AWriteIntoAnUnmappedAddressFailsTheCopyWithFaultAndKeepsAnEarlierError()
    {
        var writer = new CopyWriter();
        writer.Append(Shim.GetPid(), 8, new byte[16]);   // page zero is never mapped
        writer.Flush();
        Assert.That(writer.Status, Is.EqualTo(DvsError.Fault));

        writer.Status = DvsError.DeadSrcDst;
        writer.Append(Shim.GetPid(), 8, new byte[16]);
        writer.Flush();
        Assert.That(writer.Status, Is.EqualTo(DvsError.DeadSrcDst), "the first error is the one reported");
    }

    private static void Fill(byte[] piece, byte value) => Array.Fill(piece, value);
}
