namespace Dvs.Hosting.Copies;

/// <summary>
/// A vcopy this node serves because it owns the source: read from the source process in bulk frames
/// and streamed to the destination's node (or copied directly when the destination is local too).
/// </summary>
internal sealed class CopyJob
{
    public int DcId;
    public int SourceEndpoint;
    public int SourcePid;
    public long SourceAddress;
    public int DestinationEndpoint;
    public long DestinationAddress;
    public long Bytes;
    public long Offset;
    public int Requester;
    public int RequesterNode;
    public int Sequence;
    public DvsError Status;
    public bool DataDone;
}
