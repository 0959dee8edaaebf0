namespace Dvs;

/// <summary>The outcome of an asynchronous receive or sendrec: an error code and, on success, the message.</summary>
public readonly record struct DvsResult(DvsError Error, Message Message)
{
    public bool IsOk => Error == DvsError.Ok;
}
