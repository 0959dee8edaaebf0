namespace Dvs.Ipc;

/// <summary>
/// A message queued for an endpoint with its ring meta (call kind | request sequence &lt;&lt; 8) and,
/// for requests, the incarnation of the client that sent it (the ring cell's aux word).
/// </summary>
internal readonly record struct HeldMessage(Message Message, int Meta, ulong Incarnation = 0);
