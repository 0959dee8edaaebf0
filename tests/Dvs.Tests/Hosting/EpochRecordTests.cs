using Dvs.Hosting;

namespace Dvs.Tests.Hosting;

/// <summary>The epochs a node host used survive it (a killed host), and only what is newer replaces them.</summary>
[TestFixture]
public class EpochRecordTests
{
    [Test]
    public void ANewerEpochOrAHandoverAtTheSameEpochIsKeptAndReadBackByTheNextHost()
    {
        string node = "er" + Guid.NewGuid().ToString("N")[..10];
        try
        {
            EpochRecord record = EpochRecord.Load(node);
            Assert.That(record.TryGet(0, 10, out _, out _), Is.False);
            record.Raise(0, 10, 1, owner: 0);        // reserved by the source when OFFER leaves
            record.Raise(0, 10, 1, owner: 2);        // handed over to node 2 at the same epoch
            record.Raise(0, 10, 0, owner: 0);        // older news: ignored
            record.Raise(1, 7, 5, owner: 0);

            EpochRecord next = EpochRecord.Load(node);   // the next host of the node, after a crash
            Assert.That(next.TryGet(0, 10, out uint epoch, out int owner), Is.True);
            Assert.That((epoch, owner), Is.EqualTo((1u, 2)));
            Assert.That(next.TryGet(1, 7, out epoch, out owner), Is.True);
            Assert.That((epoch, owner), Is.EqualTo((5u, 0)));
            Assert.That(File.GetUnixFileMode(EpochRecord.PathOf(node)), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite));

            next.Delete();                            // a clean stop
            Assert.That(EpochRecord.Load(node).TryGet(0, 10, out _, out _), Is.False);
        }
        finally
        {
            File.Delete(EpochRecord.PathOf(node));
        }
    }

    [Test]
    public void LinesThatAreNotRecordsAreIgnored()
    {
        string node = "er" + Guid.NewGuid().ToString("N")[..10];
        try
        {
            File.WriteAllText(EpochRecord.PathOf(node), "0 10 3 1\ngarbage\n1 2\n-1 5 6 0\n0 11 x 0\n");
            EpochRecord record = EpochRecord.Load(node);
            Assert.That(record.TryGet(0, 10, out uint epoch, out int owner), Is.True);
            Assert.That((epoch, owner), Is.EqualTo((3u, 1)));
            Assert.That(record.TryGet(0, 11, out _, out _), Is.False);
        }
        finally
        {
            File.Delete(EpochRecord.PathOf(node));
        }
    }
}
