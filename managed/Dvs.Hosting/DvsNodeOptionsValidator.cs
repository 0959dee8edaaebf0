using Dvs.Configuration;
using Microsoft.Extensions.Options;

namespace Dvs.Hosting;

/// <summary>Checks <see cref="DvsNodeOptions"/> when the application starts: a node name the node ini files allow.</summary>
internal sealed class DvsNodeOptionsValidator : IValidateOptions<DvsNodeOptions>
{
    public ValidateOptionsResult Validate(string? name, DvsNodeOptions options) =>
        NodeConfig.IsValidName(options.NodeName)
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail($"Dvs node name '{options.NodeName}' is not valid: {NodeConfig.NameRule}");
}
