namespace Dvs.Configuration;

/// <summary>
/// A node ini file (or a configuration built in code) is invalid. Carries every error found, not
/// only the first, so one run of <c>dvs config check</c> shows them all; the message is one
/// <see cref="ConfigDiagnostic"/> per line.
/// </summary>
public sealed class ConfigException : Exception
{
    /// <summary>Creates the exception from the errors found (at least one).</summary>
    public ConfigException(IReadOnlyList<ConfigDiagnostic> errors)
        : base(string.Join(Environment.NewLine, errors))
    {
        ArgumentOutOfRangeException.ThrowIfZero(errors.Count);
        Errors = errors;
    }

    /// <summary>Creates the exception for one error.</summary>
    public ConfigException(ConfigDiagnostic error) : this([error])
    {
    }

    /// <summary>Every error found, in file order as far as the checks allow.</summary>
    public IReadOnlyList<ConfigDiagnostic> Errors { get; }
}
