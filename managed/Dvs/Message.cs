using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Dvs;

/// <summary>
/// A DVS message: fixed 64 bytes, blittable. <see cref="Source"/> is stamped by the sender's
/// library (never trusted from the caller); <see cref="Type"/> is the application's; the 56-byte
/// payload is addressed as bytes or as seven 64-bit words. Larger data moves with VCopy.
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = 64)]
public struct Message
{
    /// <summary>Payload bytes.</summary>
    public const int PayloadSize = 56;

    /// <summary>
    /// The type of every notification, and only of notifications: the library refuses to send,
    /// send-receive or reply with it (<see cref="DvsError.Invalid"/>), so no application message
    /// can pass for one. A notification's <see cref="Source"/> is the notifier's endpoint number.
    /// </summary>
    public const int NotifyType = int.MinValue;

    [FieldOffset(0)] public int Source;
    [FieldOffset(4)] public int Type;
    [FieldOffset(8)] public MessagePayload Payload;

    public Message(int type) : this() => Type = type;

    /// <summary>True for a notification (<see cref="Type"/> is <see cref="NotifyType"/>).</summary>
    public readonly bool IsNotify => Type == NotifyType;

    /// <summary>Word <paramref name="index"/> (0..6) of the payload.</summary>
    public long this[int index]
    {
        readonly get => BinaryPrimitives.ReadInt64LittleEndian(ReadOnlyPayload.Slice(CheckWord(index) * 8, 8));
        set => BinaryPrimitives.WriteInt64LittleEndian(((Span<byte>)Payload).Slice(CheckWord(index) * 8, 8), value);
    }

    /// <summary>The payload as read-only bytes.</summary>
    [UnscopedRef]
    public readonly ReadOnlySpan<byte> ReadOnlyPayload => Payload;

    private static int CheckWord(int index)
    {
        if ((uint)index >= PayloadSize / 8)
        {
            ThrowWord(index);
        }
        return index;
    }

    private static void ThrowWord(int index) =>
        throw new ArgumentOutOfRangeException(nameof(index), index, "a message has 7 payload words (0..6)");

    public override readonly string ToString() => $"Message(source {Source}, type {Type})";
}
