namespace Dvs.Hosting.Copies;

/// <summary>
/// The end of a vcopy: VCOPY-DONE (source's node -> destination's node, behind the data) and
/// VCOPY-COMPLETE (-> the requester's node), whose Type is the DvsError. One place that says which
/// word is which.
/// </summary>
internal static class VCopyOutcome
{
    /// <summary>COMPLETE: source = the copy's source endpoint, type = its status.</summary>
    /// <param name="sourceEndpoint">The endpoint read from.</param>
    /// <param name="status">How the copy ended.</param>
    public static Message Complete(int sourceEndpoint, DvsError status)
    {
        Message m = default;
        m.Source = sourceEndpoint;
        m.Type = (int)status;
        return m;
    }

    /// <summary>DONE: source = the requester, type = the source side's status, word 0 the
    /// requester's node, word 1 the source endpoint.</summary>
    /// <param name="requester">The endpoint that asked.</param>
    /// <param name="requesterNode">Its node.</param>
    /// <param name="sourceEndpoint">The endpoint read from.</param>
    /// <param name="status">How the source side ended (Ok: the data is all out).</param>
    public static Message Done(int requester, int requesterNode, int sourceEndpoint, DvsError status)
    {
        Message m = default;
        m.Source = requester;
        m.Type = (int)status;
        m[0] = requesterNode;
        m[1] = sourceEndpoint;
        return m;
    }

    /// <summary>A message's status (its Type).</summary>
    /// <param name="m">A DONE or COMPLETE.</param>
    public static DvsError Status(in Message m) => (DvsError)m.Type;

    /// <summary>DONE's word 0: the requester's node.</summary>
    /// <param name="done">A DONE.</param>
    public static int RequesterNode(in Message done) => (int)done[0];

    /// <summary>DONE's word 1: the source endpoint.</summary>
    /// <param name="done">A DONE.</param>
    public static int SourceEndpoint(in Message done) => (int)done[1];
}
