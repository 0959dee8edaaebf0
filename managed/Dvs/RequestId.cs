namespace Dvs;

/// <summary>
/// One request of one binding of a client endpoint: its destination and sequence number
/// (<see cref="Endpoint.LastRequest"/>). Pass it to <see cref="Endpoint.RetrySendRec"/> to send
/// the same request again after a failed wait.
/// </summary>
public readonly record struct RequestId
{
    internal RequestId(int destination, int sequence, ulong binding)
    {
        Destination = destination;
        Sequence = sequence;
        Binding = binding;
    }

    /// <summary>The endpoint the request went to.</summary>
    public int Destination { get; }

    /// <summary>The request's sequence number within its binding; 0 for no request.</summary>
    public int Sequence { get; }

    /// <summary>The binding (client incarnation) that sent it: a retry must come from the same one.</summary>
    internal ulong Binding { get; }
}
