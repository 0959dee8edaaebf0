using System.Text;
using Dvs.Configuration;
using Microsoft.Extensions.Configuration;

namespace Dvs.Hosting;

/// <summary>
/// Reads the node configuration of <see cref="DvsNodeHostOptions"/> with the reader of
/// <c>dvs config check</c>: an ini file as it is; a configuration section as the ini text it
/// stands for (each child section an ini section, each of its values a key), so both are held to
/// the same rules. A finding about a section is named by its configuration path
/// (<c>Dvs:dc.web:nr_tasks: 40 is out of range (0..35)</c>), since its line numbers are not the user's.
/// </summary>
internal static class NodeConfigSource
{
    /// <summary>Loads and checks the configuration; <paramref name="extraKinds"/> are the service kinds
    /// registered through DI, which the ini's <c>[service.*]</c> sections may name besides the built-in ones.</summary>
    /// <exception cref="ConfigException">Missing, unreadable or invalid; every error found is listed.</exception>
    public static NodeConfig Load(DvsNodeHostOptions options, IReadOnlyCollection<string> extraKinds)
    {
        NodeConfig config;
        string file;
        if (options.ConfigFile is { } path)
        {
            file = path;
            config = NodeConfig.Load(path);
        }
        else if (options.Configuration is { } section)
        {
            file = section.Path;
            config = FromSection(section, options.BaseDirectory);
        }
        else
        {
            throw new ConfigException(new ConfigDiagnostic("(Dvs.Hosting)", 0, "", null,
                "no node configuration: AddDvsNodeHost needs a configuration section or a node ini file"));
        }

        ConfigDiagnostic[] unknownKinds = config.Services
            .Where(s => !Services.BuiltInServices.IsKnown(s.Kind) && !extraKinds.Contains(s.Kind))
            .Select(s => new ConfigDiagnostic(file, options.ConfigFile is null ? 0 : s.KindLine, $"service.{s.Name}", "kind",
                $"'{s.Kind}' is not a service kind this host can start (kinds: {string.Join(", ", Services.BuiltInServices.Kinds.Concat(extraKinds).Order(StringComparer.Ordinal))})"))
            .ToArray();
        if (unknownKinds.Length > 0)
        {
            throw options.ConfigFile is null ? Rename(unknownKinds, file) : new ConfigException(unknownKinds);
        }
        return config;
    }

    private static NodeConfig FromSection(IConfigurationSection section, string? baseDirectory)
    {
        if (!section.Exists())
        {
            throw new ConfigException(new ConfigDiagnostic(section.Path, 0, "", null,
                "the configuration section is missing or empty (it needs at least [node], [cluster] and a [dc.*], as a node ini file does)"));
        }

        var ini = new StringBuilder();
        var nested = new List<ConfigDiagnostic>();
        foreach (IConfigurationSection child in section.GetChildren())
        {
            if (child.Value is not null)
            {
                // A key outside any section: the reader says what it thinks of it.
                ini.Insert(0, $"{child.Key} = {child.Value}\n");
                continue;
            }
            ini.Append('[').Append(child.Key).Append("]\n");
            foreach (IConfigurationSection key in child.GetChildren())
            {
                if (key.Value is null)
                {
                    nested.Add(new ConfigDiagnostic(section.Path, 0, child.Key, key.Key,
                        "nested too deep: a node configuration is sections of keys, as in a node ini file"));
                    continue;
                }
                ini.Append(key.Key).Append(" = ").Append(key.Value.ReplaceLineEndings(" ")).Append('\n');
            }
        }
        if (nested.Count > 0)
        {
            throw Rename(nested, section.Path);
        }

        try
        {
            return NodeConfig.Parse(ini.ToString(), section.Path, baseDirectory);
        }
        catch (ConfigException e)
        {
            throw Rename(e.Errors, section.Path);
        }
    }

    // The findings of generated ini text, named by configuration path: Dvs:node:id: ... (no line).
    private static ConfigException Rename(IEnumerable<ConfigDiagnostic> errors, string path) =>
        new(errors.Select(d => d with
        {
            File = string.Join(':', new[] { path, d.Section, d.Key ?? "" }.Where(part => part.Length > 0)),
            Line = 0,
            Section = "",
            Key = null,
        }).ToArray());
}
