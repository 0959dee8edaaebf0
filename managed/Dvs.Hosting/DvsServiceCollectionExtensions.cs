using Dvs.Services;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Dvs.Hosting;

/// <summary>
/// Registers Dvs in an application's services: a node host run by the application
/// (<see cref="AddDvsNodeHost(IServiceCollection, IConfigurationSection, string)"/>), or a node host
/// running elsewhere that it attaches to (<see cref="AddDvsNode(IServiceCollection, string, Action{DvsNodeOptions})"/>),
/// and the service endpoints it serves (<see cref="AddDvsService{TService}"/>). The node is
/// reached through <see cref="DvsNode"/>.
/// </summary>
public static class DvsServiceCollectionExtensions
{
    /// <summary>
    /// Runs a node host in this application, configured by <paramref name="section"/> in the shape
    /// of a node ini file (<c>"Dvs": { "node": { "name": "node0", "id": 0 }, "cluster": { ... }, "dc.dc0": { ... } }</c>).
    /// The configuration is checked when the application starts, as <c>dvs config check</c> checks a
    /// file: an error stops start-up (an <see cref="OptionsValidationException"/> whose message names
    /// the key, e.g. <c>Dvs:dc.dc0:nr_tasks: ...</c>), before anything is created in /dev/shm.
    /// </summary>
    /// <param name="services">The application's services.</param>
    /// <param name="section">The configuration section, e.g. <c>configuration.GetSection("Dvs")</c>.</param>
    /// <param name="baseDirectory">Where a relative <c>key_file</c> is found; null: the current folder.</param>
    public static IServiceCollection AddDvsNodeHost(this IServiceCollection services, IConfigurationSection section, string? baseDirectory = null)
    {
        ArgumentNullException.ThrowIfNull(section);
        return AddNodeHost(services, o =>
        {
            o.Configuration = section;
            o.BaseDirectory = baseDirectory;
        });
    }

    /// <summary>
    /// Runs a node host in this application, configured by a node ini file (the file of
    /// <c>dvs node run --config</c>). The file is read and checked when the application starts;
    /// an error stops start-up with the messages of <c>dvs config check</c> (<c>node0.ini:7: [dc.web] nr_tasks: ...</c>).
    /// </summary>
    /// <param name="services">The application's services.</param>
    /// <param name="iniFile">The node ini file.</param>
    public static IServiceCollection AddDvsNodeHost(this IServiceCollection services, string iniFile)
    {
        ArgumentException.ThrowIfNullOrEmpty(iniFile);
        return AddNodeHost(services, o => o.ConfigFile = iniFile);
    }

    /// <summary>
    /// Attaches this application to the node host of <paramref name="nodeName"/> running elsewhere on
    /// this machine (<c>dvs node run</c>, or another application's <see cref="AddDvsNodeHost(IServiceCollection, string)"/>);
    /// start-up waits for it up to <see cref="DvsNodeOptions.AttachTimeout"/> and fails when it is not there.
    /// </summary>
    /// <param name="services">The application's services.</param>
    /// <param name="nodeName">The node's name.</param>
    /// <param name="configure">Further options (the attach timeout).</param>
    public static IServiceCollection AddDvsNode(this IServiceCollection services, string nodeName, Action<DvsNodeOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(nodeName);
        ThrowIfNodeAdded(services);
        services.AddOptions<DvsNodeOptions>()
            .Configure(o =>
            {
                o.NodeName = nodeName;
                configure?.Invoke(o);
            })
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<DvsNodeOptions>, DvsNodeOptionsValidator>());
        services.AddSingleton<DvsNode>();
        services.AddHostedService<AttachedNodeService>();
        return services;
    }

    /// <summary>
    /// Serves <typeparamref name="TService"/> on endpoint <paramref name="endpoint"/> of DC
    /// <paramref name="dcid"/>, created through dependency injection (its constructor's parameters
    /// are resolved from the application's services), started with the node and stopped with it.
    /// Under <c>AddDvsNodeHost</c> the node host serves it and can migrate it (a node host it
    /// migrates to must know <paramref name="kind"/>); under <c>AddDvsNode</c> this process serves it.
    /// </summary>
    /// <typeparam name="TService">The service.</typeparam>
    /// <param name="services">The application's services.</param>
    /// <param name="dcid">The DC.</param>
    /// <param name="endpoint">The endpoint number.</param>
    /// <param name="kind">The service's kind (a name, as in <c>[service.*] kind</c>).</param>
    public static IServiceCollection AddDvsService<TService>(this IServiceCollection services, int dcid, int endpoint, string kind)
        where TService : class, IMigratableService
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrEmpty(kind);
        services.AddSingleton(new DvsServiceRegistration(typeof(TService), dcid, endpoint, kind));
        return services;
    }

    private static IServiceCollection AddNodeHost(IServiceCollection services, Action<DvsNodeHostOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ThrowIfNodeAdded(services);
        services.AddOptions<DvsNodeHostOptions>().Configure(configure).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<DvsNodeHostOptions>, DvsNodeHostOptionsValidator>());
        services.AddSingleton<DvsNode>();
        services.AddHostedService<NodeHostService>();
        return services;
    }

    // One node per application: DvsNode is that node.
    private static void ThrowIfNodeAdded(IServiceCollection services)
    {
        if (services.Any(d => d.ServiceType == typeof(DvsNode)))
        {
            throw new InvalidOperationException("a Dvs node is already added to these services (AddDvsNodeHost or AddDvsNode, once per application)");
        }
    }
}
