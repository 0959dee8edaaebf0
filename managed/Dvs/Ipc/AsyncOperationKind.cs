namespace Dvs.Ipc;

internal enum AsyncOperationKind
{
    Send,
    Receive,
    ReceiveRequest,
    WaitReply,
}
