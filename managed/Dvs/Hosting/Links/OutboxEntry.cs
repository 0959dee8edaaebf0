using Dvs.Transport;

namespace Dvs.Hosting.Links;

/// <summary>One message waiting in a peer's outbox, with the header it goes out under.</summary>
internal readonly struct OutboxEntry(in MessageHeader header, in Message message)
{
    public readonly MessageHeader Header = header;
    public readonly Message Message = message;
}
