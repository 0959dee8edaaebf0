namespace Dvs.Configuration;

/// <summary>A section of an ini text: its name as written, its header line and the line of each key.</summary>
internal sealed class IniSection(string name, int line)
{
    public string Name { get; } = name;

    public int Line { get; } = line;

    /// <summary>Key name as written (compared ignoring case, as the provider does) to its line.</summary>
    public Dictionary<string, int> Keys { get; } = new(StringComparer.OrdinalIgnoreCase);
}
