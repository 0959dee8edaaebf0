namespace Dvs;

/// <summary>
/// Thrown only off the hot path (attach, bind, configuration); the primitives return
/// <see cref="DvsError"/> instead.
/// </summary>
public sealed class DvsException : Exception
{
    public DvsException(DvsError error, string message) : base($"{message} ({error}, {(int)error})")
    {
        Error = error;
    }

    /// <summary>The DVS error code.</summary>
    public DvsError Error { get; }
}
