using Dvs.Hosting;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Dvs.Samples.Worker;

/// <summary>
/// The worker of the template: waits for the Dvs node to start, says where it runs, then logs
/// the node's health every 10 seconds (peers, proxy) until the application stops.
/// </summary>
public sealed class Worker(DvsNode dvs, HealthCheckService health, ILogger<Worker> log) : BackgroundService
{
    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        Dvs.Node node = await dvs.Started.WaitAsync(stoppingToken);
        log.LogInformation("Node {Name} (id {Id}) is up; run the client: dotnet run --project samples/Dvs.Samples.Client", node.Name, node.NodeId);
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(10));
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            HealthReport report = await health.CheckHealthAsync(stoppingToken);
            foreach ((string name, HealthReportEntry entry) in report.Entries)
            {
                log.LogInformation("Health {Check}: {Status}, {Description}", name, entry.Status, entry.Description);
            }
        }
    }
}
