using System.Runtime.CompilerServices;

namespace Dvs;

/// <summary>The 56 payload bytes of a <see cref="Message"/>, usable as a span.</summary>
[InlineArray(Message.PayloadSize)]
public struct MessagePayload
{
    private byte _element0;
}
