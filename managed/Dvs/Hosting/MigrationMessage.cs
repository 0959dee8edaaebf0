using Dvs.Transport;

namespace Dvs.Hosting;

/// <summary>
/// A migration's messages between its source and its target (OFFER, DELTA, PREPARE, PREPARE-DELTA,
/// READY, COMMIT, COMMITTED, HANDOVER, ABORT) and the header of its DATA frames: the one place that
/// says where each field travels (docs/protocol.md, "Migration protocol (as modelled)"), instead of
/// indexes and reused fields at each use.
/// </summary>
/// <remarks>
/// The layout is the wire earlier builds speak, so it stays: a migration message names no endpoint
/// epoch, and the migration id travels in the header's epoch field; a status (READY, COMMITTED) in
/// the message's type; OFFER's sizes in words 0-2; DELTA's length in word 0; a DATA frame's offset
/// in the request sequence; the delta stage and "serving" as header flags.
/// </remarks>
internal readonly struct MigrationMessage
{
    /// <summary>The header as it travels.</summary>
    public readonly MessageHeader Header;

    /// <summary>The 64 bytes as they travel.</summary>
    public readonly Message Message;

    /// <summary>Reads a migration message that arrived.</summary>
    /// <param name="header">Its header.</param>
    /// <param name="message">Its 64 bytes.</param>
    public MigrationMessage(in MessageHeader header, in Message message)
    {
        Header = header;
        Message = message;
    }

    /// <summary>Which message (a <see cref="CallKind"/> from MigrateOffer to MigrateHandover).</summary>
    public byte Kind => Header.CallKind;

    /// <summary>The DC of the migrated endpoint.</summary>
    public int DcId => Header.DcId;

    /// <summary>The migrated endpoint.</summary>
    public int Endpoint => Header.Destination;

    /// <summary>The migration's id, unique on its source node (in the header's epoch field).</summary>
    public int Id => (int)Header.Epoch;

    /// <summary>READY and COMMITTED: how the target's step went (in the message's type).</summary>
    public DvsError Status => (DvsError)Message.Type;

    /// <summary>READY and DATA: of the pre-copy's delta, not of the package.</summary>
    public bool DeltaStage => Header.Flags == CallKind.DeltaStage;

    /// <summary>COMMITTED: the target serves now (after HANDOVER), not "confirmed".</summary>
    public bool Serving => Header.Flags == CallKind.ServingFlag;

    /// <summary>OFFER, word 0: the package's length (header and state), which the target allocates.</summary>
    public long PackageLength => Message[0];

    /// <summary>OFFER, word 1: the length of the package's header.</summary>
    public long PackageHeaderLength => Message[1];

    /// <summary>OFFER, word 2: a pre-copy (a delta follows before the commit).</summary>
    public bool Precopy => Message[2] != 0;

    /// <summary>DELTA, word 0: the delta's length.</summary>
    public long DeltaLength => Message[0];

    /// <summary>DATA: where the frame's bytes go in the package or the delta (in the request sequence).</summary>
    public static long DataOffset(in MessageHeader header) => header.RequestSequence;

    /// <summary>A DATA frame's header: the migration it belongs to, where its bytes go.</summary>
    /// <param name="dcid">The DC.</param>
    /// <param name="endpoint">The migrated endpoint.</param>
    /// <param name="id">The migration id.</param>
    /// <param name="offset">Where the bytes go (below 4 GiB: a package is bounded by MaxMigrationBytes).</param>
    /// <param name="deltaStage">Bytes of the delta, not of the package.</param>
    public static MessageHeader DataHeader(int dcid, int endpoint, int id, long offset, bool deltaStage) =>
        new((ushort)dcid, CallKind.MigrateData, endpoint, (uint)id, (uint)offset) { Flags = deltaStage ? CallKind.DeltaStage : (byte)0 };

    /// <summary>A DATA frame's migration id.</summary>
    /// <param name="header">The frame's header.</param>
    public static int DataId(in MessageHeader header) => (int)header.Epoch;

    /// <summary>A DATA frame of the delta (else of the package).</summary>
    /// <param name="header">The frame's header.</param>
    public static bool IsDeltaData(in MessageHeader header) => header.Flags == CallKind.DeltaStage;

    /// <summary>An order without words: PREPARE, PREPARE-DELTA, COMMIT, HANDOVER or ABORT.</summary>
    /// <param name="kind">The call kind.</param>
    /// <param name="dcid">The DC.</param>
    /// <param name="endpoint">The migrated endpoint.</param>
    /// <param name="id">The migration id.</param>
    public static MigrationMessage Order(byte kind, int dcid, int endpoint, int id) =>
        new(new MessageHeader((ushort)dcid, kind, endpoint, (uint)id, 0), default);

    /// <summary>A target's answer: READY (to PREPARE / PREPARE-DELTA) or COMMITTED (to COMMIT, or "serving").</summary>
    /// <param name="kind">MigrateReady or MigrateCommitted.</param>
    /// <param name="dcid">The DC.</param>
    /// <param name="endpoint">The migrated endpoint.</param>
    /// <param name="id">The migration id.</param>
    /// <param name="status">How the step went.</param>
    /// <param name="flags"><see cref="CallKind.DeltaStage"/>, <see cref="CallKind.ServingFlag"/> or 0.</param>
    public static MigrationMessage Answer(byte kind, int dcid, int endpoint, int id, DvsError status, byte flags = 0)
    {
        Message m = default;
        m.Source = endpoint;
        m.Type = (int)status;
        return new(new MessageHeader((ushort)dcid, kind, endpoint, (uint)id, 0) { Flags = flags }, m);
    }

    /// <summary>OFFER: a package of this length follows as DATA frames.</summary>
    /// <param name="dcid">The DC.</param>
    /// <param name="endpoint">The migrated endpoint.</param>
    /// <param name="id">The migration id.</param>
    /// <param name="length">The package's length, header and state.</param>
    /// <param name="headerLength">The header's length.</param>
    /// <param name="precopy">A delta follows before the commit.</param>
    public static MigrationMessage Offer(int dcid, int endpoint, int id, long length, long headerLength, bool precopy)
    {
        Message m = default;
        m[0] = length;
        m[1] = headerLength;
        m[2] = precopy ? 1 : 0;
        return new(new MessageHeader((ushort)dcid, CallKind.MigrateOffer, endpoint, (uint)id, 0), m);
    }

    /// <summary>DELTA: a pre-copy's delta of this length follows as DATA frames.</summary>
    /// <param name="dcid">The DC.</param>
    /// <param name="endpoint">The migrated endpoint.</param>
    /// <param name="id">The migration id.</param>
    /// <param name="length">The delta's length.</param>
    public static MigrationMessage DeltaOffer(int dcid, int endpoint, int id, long length)
    {
        Message m = default;
        m[0] = length;
        return new(new MessageHeader((ushort)dcid, CallKind.MigrateDelta, endpoint, (uint)id, 0), m);
    }
}
