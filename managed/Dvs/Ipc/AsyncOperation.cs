namespace Dvs.Ipc;

/// <summary>
/// What an endpoint's async pump must finish: the call, its peer, message, deadline and
/// cancellation; for a whole SendRec, the request's sequence (0: a new request).
/// </summary>
internal record struct AsyncOperation(AsyncOperationKind Kind, int Peer, Message Message, long Deadline, ulong Awaiting,
    CancellationToken Cancel = default, int Sequence = 0);
