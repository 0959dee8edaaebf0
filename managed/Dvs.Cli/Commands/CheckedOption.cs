using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using Dvs.Configuration;

namespace Dvs.Cli.Commands;

/// <summary>
/// Options whose values are checked while parsing, so a bad value is a usage error (exit 2) that
/// names the option and the value, never an exception out of a command (a validator that reads a
/// value System.CommandLine could not convert throws).
/// </summary>
internal static class CheckedOption
{
    /// <summary>A whole number in <paramref name="min"/>..<paramref name="max"/>; <paramref name="defaultValue"/> when absent.</summary>
    public static Option<int> Int(string name, string description, int min, int max, int? defaultValue = null, params string[] aliases)
    {
        var option = new Option<int>(name, aliases) { Description = description };
        if (defaultValue is { } value)
        {
            option.DefaultValueFactory = _ => value;
        }
        option.CustomParser = result =>
        {
            string text = result.Tokens.Count == 0 ? "" : result.Tokens[^1].Value;
            if (!int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int parsed))
            {
                result.AddError($"{name} '{text}' is not a whole number");
                return 0;
            }
            if (parsed < min || parsed > max)
            {
                result.AddError(max == int.MaxValue
                    ? $"{name} '{text}' must be at least {min}"
                    : $"{name} '{text}' is out of range {min}..{max}");
                return 0;
            }
            return parsed;
        };
        return option;
    }

    /// <summary>A DC id, 0..31.</summary>
    public static Option<int> Dc() => Int("--dc", "DC id (0..31)", 0, DcConfig.MaxDcs - 1, 0);

    /// <summary>
    /// A node name as <c>[node] name</c> allows (it becomes a file name under /dev/shm and the
    /// control folder, so "../x" must never reach them).
    /// </summary>
    public static Option<string> Node(string description)
    {
        var option = new Option<string>("--node") { Description = description, Required = true };
        option.Validators.Add(result =>
        {
            string text = result.Tokens.Count == 0 ? "" : result.Tokens[^1].Value;
            if (!NodeConfig.IsValidName(text))
            {
                result.AddError($"--node '{text}' is not a node name ({NodeConfig.NameRule})");
            }
        });
        return option;
    }
}
