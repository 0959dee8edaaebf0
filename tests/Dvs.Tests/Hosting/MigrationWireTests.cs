using Dvs.Hosting;
using Dvs.Transport;

namespace Dvs.Tests.Hosting;

/// <summary>
/// A migration's messages are wire (docs/protocol.md, "Migration protocol (as modelled)"): the
/// typed view writes and reads each field where peers of earlier builds put it (the forged target
/// of the handover tests and the fuzzer's seeds use those places too).
/// </summary>
[TestFixture]
public class MigrationWireTests
{
    [Test]
    public void AnOfferCarriesTheIdInTheEpochFieldAndItsSizesInWordsZeroToTwo()
    {
        MigrationMessage offer = MigrationMessage.Offer(dcid: 3, endpoint: 17, id: 42, length: 1 << 20, headerLength: 96, precopy: true);
        Assert.That((offer.Header.DcId, offer.Header.CallKind, offer.Header.Destination, offer.Header.Epoch, offer.Header.RequestSequence, offer.Header.Flags),
            Is.EqualTo(((ushort)3, (byte)30, 17, 42u, 0u, (byte)0)));
        Assert.That((offer.Message[0], offer.Message[1], offer.Message[2]), Is.EqualTo((1L << 20, 96L, 1L)));
        var read = new MigrationMessage(offer.Header, offer.Message);
        Assert.That((read.Kind, read.DcId, read.Endpoint, read.Id, read.PackageLength, read.PackageHeaderLength, read.Precopy),
            Is.EqualTo(((byte)CallKind.MigrateOffer, 3, 17, 42, 1L << 20, 96L, true)));
    }

    [Test]
    public void AnAnswerCarriesItsStatusInTypeAndTheStageOrServingAsFlags()
    {
        MigrationMessage ready = MigrationMessage.Answer(CallKind.MigrateReady, 0, 5, 7, DvsError.ProcSts, CallKind.DeltaStage);
        Assert.That((ready.Header.CallKind, ready.Header.Epoch, ready.Header.Flags, ready.Message.Type, ready.Message.Source),
            Is.EqualTo(((byte)33, 7u, (byte)1, (int)DvsError.ProcSts, 5)));
        Assert.That((ready.DeltaStage, ready.Serving, ready.Status), Is.EqualTo((true, false, DvsError.ProcSts)));
        MigrationMessage serving = MigrationMessage.Answer(CallKind.MigrateCommitted, 0, 5, 7, DvsError.Ok, CallKind.ServingFlag);
        Assert.That((serving.Header.CallKind, serving.Header.Flags, serving.DeltaStage, serving.Serving), Is.EqualTo(((byte)36, (byte)2, false, true)));
    }

    [Test]
    public void OrdersCarryNoWordsAndDataFramesTheirOffsetInTheRequestSequence()
    {
        MigrationMessage handover = MigrationMessage.Order(CallKind.MigrateHandover, 1, 9, 11);
        Assert.That((handover.Header.CallKind, handover.Header.Destination, handover.Header.Epoch, handover.Message.Type, handover.Message[0]),
            Is.EqualTo(((byte)39, 9, 11u, 0, 0L)));
        MessageHeader data = MigrationMessage.DataHeader(1, 9, 11, offset: 65_536, deltaStage: true);
        Assert.That((data.CallKind, data.Epoch, data.RequestSequence, data.Flags), Is.EqualTo(((byte)31, 11u, 65_536u, (byte)1)));
        Assert.That((MigrationMessage.DataId(data), MigrationMessage.DataOffset(data), MigrationMessage.IsDeltaData(data)), Is.EqualTo((11, 65_536L, true)));
        MigrationMessage delta = MigrationMessage.DeltaOffer(1, 9, 11, 4096);
        Assert.That((delta.Header.CallKind, delta.Message[0], new MigrationMessage(delta.Header, delta.Message).DeltaLength), Is.EqualTo(((byte)37, 4096L, 4096L)));
    }
}
