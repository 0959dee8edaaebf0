namespace Dvs.Ipc;

/// <summary>What an endpoint's async pump must finish: the call, its peer, message and deadline.</summary>
internal record struct AsyncOperation(AsyncOperationKind Kind, int Peer, Message Message, long Deadline, ulong Awaiting);
