namespace Dvs.Ipc;

/// <summary>A message queued for an endpoint with its ring meta (call kind | request sequence &lt;&lt; 8).</summary>
internal readonly record struct HeldMessage(Message Message, int Meta);
