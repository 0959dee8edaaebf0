using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Dvs.Hosting;

/// <summary>
/// The health of the application's Dvs node: unhealthy before start or after a proxy thread died
/// (remote calls then fail with <see cref="DvsError.NoProxy"/>); degraded while a peer is down;
/// healthy otherwise. The data lists each peer's state ("up", "down", "unknown").
/// </summary>
internal sealed class DvsHealthCheck(DvsNode handle) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (!handle.IsStarted)
        {
            return Task.FromResult(HealthCheckResult.Unhealthy("the Dvs node is not started"));
        }
        NodeHost? host = handle.Host;
        if (host is null)
        {
            Node node = handle.Node;
            return Task.FromResult(HealthCheckResult.Healthy($"attached to node {node.Name} (id {node.NodeId})"));
        }
        if (host.Failure.IsCompleted)
        {
            return Task.FromResult(HealthCheckResult.Unhealthy(
                $"node {host.NodeName}: a proxy thread died ({host.Failure.Result.Message}); remote calls fail until it is restarted"));
        }

        NodeStatus status = host.GetStatus();
        var data = status.Peers.ToDictionary(p => $"peer.{p.Name}", p => (object)p.State);
        string[] down = status.Peers.Where(p => p.State != "up").Select(p => $"{p.Name} ({p.State})").ToArray();
        string summary = $"node {status.Name} (id {status.NodeId}): {status.Peers.Count - down.Length} of {status.Peers.Count} peers up";
        return Task.FromResult(down.Length == 0
            ? HealthCheckResult.Healthy(summary, data)
            : HealthCheckResult.Degraded($"{summary}; not up: {string.Join(", ", down)}", data: data));
    }
}
