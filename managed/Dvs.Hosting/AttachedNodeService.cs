using Dvs.Services;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Dvs.Hosting;

/// <summary>
/// Attaches the application to a node host running elsewhere on this machine and serves the
/// services registered through DI from this process (migratable by that host, see
/// <see cref="ServiceHost.Start"/>); detaches when the application stops. A node host of another
/// layout version is refused with the error <see cref="Node.Attach"/> gives.
/// </summary>
internal sealed partial class AttachedNodeService(
    IOptions<DvsNodeOptions> options,
    IServiceProvider services,
    IEnumerable<DvsServiceRegistration> registrations,
    DvsNode handle,
    ILoggerFactory logs) : IHostedService, IDisposable
{
    private readonly ILogger _log = logs.CreateLogger("Dvs.Hosting");
    private readonly List<ServiceHost> _served = [];
    private Node? _node;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        DvsNodeOptions current = options.Value;
        try
        {
            await WaitForSegment(current, cancellationToken);
            _node = Node.Attach(current.NodeName);
            foreach (DvsServiceRegistration registration in registrations)
            {
                var service = (IMigratableService)ActivatorUtilities.CreateInstance(services, registration.ServiceType);
                _served.Add(ServiceHost.Start(_node, registration.DcId, registration.Endpoint, service, registration.Kind,
                    logs.CreateLogger("Dvs.ServiceHost")));
                LogServing(registration.Kind, registration.Endpoint, registration.DcId);
            }
            handle.Set(_node, host: null);
            LogAttached(current.NodeName);
        }
        catch (Exception e)
        {
            handle.Fail(e);
            Stop();
            throw;
        }
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        Stop();
        return Task.CompletedTask;
    }

    public void Dispose() => Stop();

    // The node host may start with the application (a service manager starts both): wait for its
    // segment, bounded. Polls the file system: there is nothing to wait on for a file that does not exist yet.
    private static async Task WaitForSegment(DvsNodeOptions options, CancellationToken cancel)
    {
        string segment = $"/dev/shm/dvs-{options.NodeName}";
        DateTime deadline = DateTime.UtcNow + options.AttachTimeout;
        while (!File.Exists(segment) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50, cancel);
        }
    }

    private void Stop()
    {
        handle.Clear();
        foreach (ServiceHost served in _served)
        {
            served.Dispose();
        }
        _served.Clear();
        Interlocked.Exchange(ref _node, null)?.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Attached to node {Name}")]
    private partial void LogAttached(string name);

    [LoggerMessage(Level = LogLevel.Information, Message = "Service {Kind} serving endpoint {Endpoint} of DC {Dc}")]
    private partial void LogServing(string kind, int endpoint, int dc);
}
