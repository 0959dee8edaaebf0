using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace Dvs.Configuration;

/// <summary>
/// Reads the keys of one section: values from the configuration provider, lines from the
/// <see cref="IniLineIndex"/>. Every fault becomes a <see cref="ConfigDiagnostic"/> at the key's
/// line (at the section header when the key is absent) and reading goes on, so one pass reports
/// all faults. Accessors return null for a missing or bad value; the caller stops at the end.
/// </summary>
internal sealed class SectionReader
{
    private readonly string _file;
    private readonly IniSection _ini;
    private readonly IConfigurationSection _values;
    private readonly List<ConfigDiagnostic> _errors;
    private readonly List<ConfigDiagnostic> _warnings;
    private readonly string[] _allowedKeys;

    public SectionReader(string file, IniSection ini, IConfiguration values,
        List<ConfigDiagnostic> errors, List<ConfigDiagnostic> warnings, params string[] allowedKeys)
    {
        _file = file;
        _ini = ini;
        _values = values.GetSection(ini.Name);
        _errors = errors;
        _warnings = warnings;
        _allowedKeys = allowedKeys;
    }

    /// <summary>The section name as written.</summary>
    public string Section => _ini.Name;

    public bool Has(string key) => _ini.Keys.ContainsKey(key);

    public int LineOf(string? key) =>
        key is not null && _ini.Keys.TryGetValue(key, out int line) ? line : _ini.Line;

    public void Error(string? key, string message) =>
        _errors.Add(new ConfigDiagnostic(_file, LineOf(key), _ini.Name, key, message));

    public void Warn(string? key, string message) =>
        _warnings.Add(new ConfigDiagnostic(_file, LineOf(key), _ini.Name, key, message));

    /// <summary>Reports every key of the section that is not one of the allowed keys.</summary>
    public void ReportUnknownKeys()
    {
        foreach ((string key, int line) in _ini.Keys)
        {
            if (!_allowedKeys.Contains(key, StringComparer.OrdinalIgnoreCase))
            {
                _errors.Add(new ConfigDiagnostic(_file, line, _ini.Name, key,
                    $"unknown key (known keys: {string.Join(", ", _allowedKeys)})"));
            }
        }
    }

    /// <summary>The trimmed value (quotes removed by the provider), or null when absent; a required
    /// key that is absent or empty is an error (and null); an optional empty one gives "".</summary>
    public string? String(string key, bool required)
    {
        string? value = Has(key) ? _values[key] ?? "" : null;
        if (value is null)
        {
            if (required)
            {
                Error(key, "required key is missing");
            }

            return null;
        }

        if (value.Length == 0 && required)
        {
            Error(key, "value is empty");
            return null;
        }

        return value;
    }

    /// <summary>A whole number in [min, max]; <paramref name="defaultValue"/> when absent, and when
    /// that is null the key is required.</summary>
    public int? Int(string key, int min, int max, int? defaultValue)
    {
        if (!Has(key))
        {
            if (defaultValue is null)
            {
                Error(key, "required key is missing");
            }

            return defaultValue;
        }

        string text = _values[key] ?? "";
        if (text.Length == 0)
        {
            Error(key, "value is empty");
            return null;
        }

        if (!int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int value))
        {
            Error(key, $"'{text}' is not a whole number");
            return null;
        }

        if (value < min || value > max)
        {
            Error(key, $"{value} is out of range ({min}..{max})");
            return null;
        }

        return value;
    }

    /// <summary>A name: a letter or digit, then letters, digits, '_', '-', '.'; at most 32 characters.</summary>
    public string? Name(string key, bool required)
    {
        string? text = String(key, required);
        if (text is not null && !NodeConfigReader.IsValidName(text))
        {
            Error(key, $"'{text}' is not a valid name ({NodeConfigReader.NameRule})");
            return null;
        }

        return text;
    }
}
