using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Dvs.Hosting;

/// <summary>Adds the Dvs node's health check: <c>services.AddHealthChecks().AddDvs()</c>.</summary>
public static class DvsHealthChecksBuilderExtensions
{
    /// <summary>
    /// Adds a check of the application's Dvs node (added with <c>AddDvsNodeHost</c> or <c>AddDvsNode</c>):
    /// unhealthy before start and when a proxy thread died, degraded while a peer is down.
    /// </summary>
    /// <param name="builder">The health checks builder.</param>
    /// <param name="name">The check's name.</param>
    /// <param name="tags">Tags to filter checks by.</param>
    public static IHealthChecksBuilder AddDvs(this IHealthChecksBuilder builder, string name = "dvs", IEnumerable<string>? tags = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddCheck<DvsHealthCheck>(name, failureStatus: null, tags: tags ?? []);
    }
}
