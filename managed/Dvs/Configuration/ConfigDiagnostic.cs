namespace Dvs.Configuration;

/// <summary>
/// One finding about a node ini file: where it is (file, line, section, key) and what is wrong.
/// <see cref="ToString"/> gives the compiler-style form <c>node0.ini:7: [dc.web] nr_tasks: 40 is out
/// of range (0..35)</c>, so an editor or a terminal can jump to it. Immutable; thread-safe.
/// </summary>
/// <param name="File">The file as the caller named it (not made absolute, so messages stay short).</param>
/// <param name="Line">1-based line; for a missing key, the line of its section header; for a missing
/// section, the last line of the file; 0 only when the file itself cannot be read.</param>
/// <param name="Section">The section as written in the file, e.g. <c>dc.web</c>; empty for a line
/// outside any section.</param>
/// <param name="Key">The key, or null when the finding is about the section itself.</param>
/// <param name="Message">What is wrong, without the location.</param>
public sealed record ConfigDiagnostic(string File, int Line, string Section, string? Key, string Message)
{
    /// <inheritdoc />
    public override string ToString() => (Line, Section, Key) switch
    {
        (0, _, _) => $"{File}: {Message}",
        (_, "", null) => $"{File}:{Line}: {Message}",
        (_, "", _) => $"{File}:{Line}: {Key}: {Message}",
        (_, _, null) => $"{File}:{Line}: [{Section}]: {Message}",
        _ => $"{File}:{Line}: [{Section}] {Key}: {Message}",
    };
}
