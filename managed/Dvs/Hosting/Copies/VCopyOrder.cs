namespace Dvs.Hosting.Copies;

/// <summary>
/// The words of a vcopy order: the caller's VCOPY ring message, and VCOPY-REQUEST / VCOPY-OPEN
/// between node hosts, which add who asked (docs/protocol.md, "VCopy"). One place that says which
/// word is which, instead of indexes at each use.
/// </summary>
/// <param name="message">The order as it travels (source = the requester endpoint).</param>
internal readonly struct VCopyOrder(in Message message)
{
    private readonly Message _message = message;

    /// <summary>The endpoint that asked for the copy (its wait ends with the outcome).</summary>
    public int Requester => _message.Source;

    /// <summary>Word 0: where the bytes are read, in the source endpoint's process.</summary>
    public long SourceAddress => _message[0];

    /// <summary>Word 1: the endpoint the bytes are written into.</summary>
    public int Destination => (int)_message[1];

    /// <summary>Word 2: where they are written, in the destination's process.</summary>
    public long DestinationAddress => _message[2];

    /// <summary>Word 3: how many bytes.</summary>
    public long Bytes => _message[3];

    /// <summary>Word 4 (between node hosts): the node of the requester.</summary>
    public int RequesterNode => (int)_message[4];

    /// <summary>Word 5 (VCOPY-OPEN): the endpoint the bytes are read from.</summary>
    public int SourceEndpoint => (int)_message[5];

    /// <summary>The order as a node host passes it on: the same words, plus who asked and, for an
    /// OPEN, the source endpoint (the header names the destination).</summary>
    /// <param name="requesterNode">The requester's node.</param>
    /// <param name="sourceEndpoint">The endpoint read from (an OPEN); left as it was when null.</param>
    public Message With(int requesterNode, int? sourceEndpoint = null)
    {
        Message m = _message;
        m[4] = requesterNode;
        if (sourceEndpoint is int source)
        {
            m[5] = source;
        }
        return m;
    }
}
