using Dvs.Hosting.Copies;

namespace Dvs.Tests.Hosting.Copies;

/// <summary>
/// The vcopy messages' words are wire (docs/protocol.md, "VCopy"): the typed views read and write
/// them where peers of earlier builds put them.
/// </summary>
[TestFixture]
public class VCopyWireTests
{
    [Test]
    public void AnOrderReadsItsWordsWhereTheWireHasThem()
    {
        var m = new Message(5) { Source = 9, [0] = 0x1000, [1] = 12, [2] = 0x2000, [3] = 4096, [4] = 3, [5] = 14 };
        var order = new VCopyOrder(m);
        Assert.That((order.Requester, order.SourceAddress, order.Destination, order.DestinationAddress, order.Bytes, order.RequesterNode, order.SourceEndpoint),
            Is.EqualTo((9, 0x1000L, 12, 0x2000L, 4096L, 3, 14)));
    }

    [Test]
    public void PassingAnOrderOnAddsTheRequesterNodeAndForAnOpenTheSourceEndpoint()
    {
        var order = new VCopyOrder(new Message(5) { Source = 9, [0] = 1, [1] = 2, [2] = 3, [3] = 4, [5] = 77 });
        Message request = order.With(6);
        Assert.That((request.Source, request[0], request[1], request[2], request[3], request[4], request[5]),
            Is.EqualTo((9, 1L, 2L, 3L, 4L, 6L, 77L)), "a REQUEST keeps word 5");
        Message open = order.With(6, 15);
        Assert.That((open[4], open[5]), Is.EqualTo((6L, 15L)));
    }

    [Test]
    public void DoneAndCompleteCarryTheStatusInTypeAndDoneNamesTheRequesterNodeAndSource()
    {
        Message done = VCopyOutcome.Done(requester: 9, requesterNode: 2, sourceEndpoint: 14, DvsError.Fault);
        Assert.That((done.Source, done.Type, done[0], done[1]), Is.EqualTo((9, (int)DvsError.Fault, 2L, 14L)));
        Assert.That((VCopyOutcome.RequesterNode(done), VCopyOutcome.SourceEndpoint(done), VCopyOutcome.Status(done)),
            Is.EqualTo((2, 14, DvsError.Fault)));
        Message complete = VCopyOutcome.Complete(14, DvsError.Ok);
        Assert.That((complete.Source, complete.Type), Is.EqualTo((14, 0)));
    }
}
