using Dvs.Services;
using Microsoft.Extensions.Logging;

namespace Dvs.Hosting;

/// <summary>
/// The services a node host runs (hosted services of the ini) and the factories that can create
/// each kind, so a migrated endpoint can be restored here. Thread-safe.
/// </summary>
internal sealed class ServiceRegistry
{
    private readonly Dictionary<string, Func<IMigratableService>> _factories = new(StringComparer.Ordinal);
    private readonly Dictionary<(int Dc, int Endpoint), ServiceHost> _hosts = new();
    private readonly Lock _lock = new();

    public ServiceRegistry(ILogger log) => Log = log;

    public ILogger Log { get; }

    /// <summary>The node host's own attachment, used to bind hosted endpoints.</summary>
    public Node? Node { get; set; }

    public void AddFactory(string kind, Func<IMigratableService> factory)
    {
        lock (_lock)
        {
            _factories[kind] = factory;
        }
    }

    public IMigratableService? Create(string kind)
    {
        Func<IMigratableService>? factory;
        lock (_lock)
        {
            _factories.TryGetValue(kind, out factory);
        }
        return factory?.Invoke();
    }

    public void Add(ServiceHost host)
    {
        lock (_lock)
        {
            _hosts[(host.DcId, host.EndpointNumber)] = host;
        }
    }

    public ServiceHost? Find(int dc, int endpoint)
    {
        lock (_lock)
        {
            return _hosts.GetValueOrDefault((dc, endpoint));
        }
    }

    public bool Remove(int dc, int endpoint)
    {
        lock (_lock)
        {
            return _hosts.Remove((dc, endpoint));
        }
    }

    public ServiceHost[] All()
    {
        lock (_lock)
        {
            return _hosts.Values.ToArray();
        }
    }
}
