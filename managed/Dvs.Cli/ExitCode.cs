namespace Dvs.Cli;

/// <summary>Exit codes of the <c>dvs</c> tool; scripts rely on them.</summary>
internal static class ExitCode
{
    /// <summary>Done.</summary>
    public const int Ok = 0;

    /// <summary>The command failed while running (I/O, the node host, an unexpected exception).</summary>
    public const int Failure = 1;

    /// <summary>Bad usage or bad configuration: fix the command line or the file and try again.</summary>
    public const int Usage = 2;
}
