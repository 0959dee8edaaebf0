namespace Dvs.Transport;

/// <summary>
/// What travels with each 64-byte message in a frame: where it goes and under which assumptions
/// the sender sent it (layout in <see cref="FrameDescriptor"/>).
/// </summary>
internal struct MessageHeader
{
    public ushort DcId;
    /// <summary>Call kind (send, sendrec, reply, notify, ...) as the node host defines it.</summary>
    public byte CallKind;
    public byte Flags;
    public int Destination;
    /// <summary>The destination endpoint's epoch the sender believed.</summary>
    public uint Epoch;
    public uint RequestSequence;
    /// <summary>
    /// Requests: which binding of the source endpoint sent it (<see cref="Layout.ClientIncarnation"/>);
    /// a rebound client restarts its sequences, so a reply cache keys on both. Other kinds: 0.
    /// </summary>
    public ulong SourceIncarnation;

    public MessageHeader(ushort dcId, byte callKind, int destination, uint epoch, uint requestSequence)
    {
        DcId = dcId;
        CallKind = callKind;
        Flags = 0;
        Destination = destination;
        Epoch = epoch;
        RequestSequence = requestSequence;
        SourceIncarnation = 0;
    }

    public MessageHeader(ushort dcId, byte callKind, int destination, uint epoch, uint requestSequence, ulong sourceIncarnation)
        : this(dcId, callKind, destination, epoch, requestSequence) => SourceIncarnation = sourceIncarnation;
}
