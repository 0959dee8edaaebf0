using Dvs.Configuration;
using Microsoft.Extensions.Options;

namespace Dvs.Hosting;

/// <summary>
/// Checks <see cref="DvsNodeHostOptions"/> when the application starts (ValidateOnStart): loads the
/// configuration with the checks of <c>dvs config check</c> and fails with its messages, one
/// <c>file:line: [section] key: what</c> per error, before anything is created in /dev/shm.
/// Keeps what it loaded in <see cref="DvsNodeHostOptions.Loaded"/> for the hosted service.
/// </summary>
internal sealed class DvsNodeHostOptionsValidator(IEnumerable<DvsServiceRegistration> registrations) : IValidateOptions<DvsNodeHostOptions>
{
    private readonly string[] _kinds = registrations.Select(r => r.Kind).Distinct().ToArray();

    public ValidateOptionsResult Validate(string? name, DvsNodeHostOptions options)
    {
        try
        {
            options.Loaded = NodeConfigSource.Load(options, _kinds);
            return ValidateOptionsResult.Success;
        }
        catch (ConfigException e)
        {
            return ValidateOptionsResult.Fail(e.Message);
        }
    }
}
