namespace Dvs.Configuration;

/// <summary>
/// Where each section and key of an ini text is. Microsoft.Extensions.Configuration.Ini gives the
/// values but forgets the lines, and every error must name its line; so this scanner follows the
/// provider's grammar exactly (IniStreamConfigurationProvider.Read: trimmed lines, comments starting
/// with ';' '#' '/', <c>[section]</c>, <c>key = value</c>, names compared ignoring case) and records
/// the line of each name. It also reports, with their lines, the faults the provider would only
/// throw about without a line (a line that is not <c>key = value</c>, a duplicate key), plus those it
/// would merge silently (a section written twice) or misread (a ':' in a name means nesting to it).
/// </summary>
internal sealed class IniLineIndex
{
    private readonly Dictionary<string, IniSection> _sections = new(StringComparer.OrdinalIgnoreCase);
    private readonly List<IniSection> _order = [];

    private IniLineIndex(int lineCount) => LineCount = lineCount;

    /// <summary>Number of lines in the text (at least 1, so a location always exists).</summary>
    public int LineCount { get; }

    /// <summary>Sections in file order.</summary>
    public IReadOnlyList<IniSection> Sections => _order;

    public IniSection? Find(string name) => _sections.GetValueOrDefault(name);

    public static IniLineIndex Scan(string text, string file, List<ConfigDiagnostic> errors)
    {
        string[] lines = text.ReplaceLineEndings("\n").Split('\n');
        int count = lines.Length;
        if (count > 1 && lines[^1].Length == 0)
        {
            count--; // the final newline does not start a line
        }

        var index = new IniLineIndex(Math.Max(1, count));
        IniSection? current = null;
        for (int i = 0; i < count; i++)
        {
            int lineNo = i + 1;
            string line = lines[i].Trim();
            if (line.Length == 0 || line[0] is ';' or '#' or '/')
            {
                continue;
            }

            if (line[0] == '[' && line[^1] == ']')
            {
                string name = line[1..^1].Trim();
                current = index.AddSection(name, lineNo, file, errors);
                continue;
            }

            int eq = line.IndexOf('=');
            string where = current?.Name ?? "";
            if (eq < 0)
            {
                errors.Add(new ConfigDiagnostic(file, lineNo, where, null,
                    $"'{line}' is not 'key = value', a [section] or a comment"));
                continue;
            }

            string key = line[..eq].Trim();
            if (current is null)
            {
                errors.Add(new ConfigDiagnostic(file, lineNo, where, key, "key outside any [section]"));
                continue;
            }

            if (key.Length == 0)
            {
                errors.Add(new ConfigDiagnostic(file, lineNo, current.Name, null, "a line with '=' but no key"));
                continue;
            }

            if (key.Contains(':'))
            {
                errors.Add(new ConfigDiagnostic(file, lineNo, current.Name, key, "a key name may not contain ':'"));
                continue;
            }

            if (current.Keys.TryGetValue(key, out int first))
            {
                errors.Add(new ConfigDiagnostic(file, lineNo, current.Name, key,
                    $"duplicate key (first set on line {first})"));
                continue;
            }

            current.Keys.Add(key, lineNo);
        }

        return index;
    }

    private IniSection AddSection(string name, int lineNo, string file, List<ConfigDiagnostic> errors)
    {
        if (name.Length == 0 || name.Contains(':'))
        {
            errors.Add(new ConfigDiagnostic(file, lineNo, name, null,
                name.Length == 0 ? "empty section name" : "a section name may not contain ':'"));
            return new IniSection(name, lineNo); // not indexed: its keys are dropped with it
        }

        if (_sections.TryGetValue(name, out IniSection? existing))
        {
            errors.Add(new ConfigDiagnostic(file, lineNo, name, null,
                $"section written twice (first on line {existing.Line}); names ignore case"));
            return existing;
        }

        var section = new IniSection(name, lineNo);
        _sections.Add(name, section);
        _order.Add(section);
        return section;
    }
}
