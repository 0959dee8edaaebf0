using System.Diagnostics;

namespace Dvs;

/// <summary>
/// The names under which Dvs reports to the usual observability tools: the meter of every node
/// host's counters (OpenTelemetry: <c>AddMeter(DvsTelemetry.MeterName)</c>; dotnet-counters:
/// <c>--counters Dvs.Node</c>) and the activity source of migrations and failovers
/// (<c>AddSource(DvsTelemetry.ActivitySourceName)</c>). Messages are never traced one by one: a
/// migration or a failover is one activity, timed from its start to its end.
/// </summary>
public static class DvsTelemetry
{
    /// <summary>The meter of the node host's instruments (dvs.messages.sent, dvs.peer.up, ...).</summary>
    public const string MeterName = Hosting.NodeMetrics.MeterName;

    /// <summary>The activity source of migrations ("dvs.migrate", "dvs.migrate.start", "dvs.migrate.commit",
    /// "dvs.migrate.rollback") and failovers ("dvs.failover": a lost service brought back after a restart).</summary>
    public const string ActivitySourceName = "Dvs.Migration";

    internal static readonly ActivitySource Source = new(ActivitySourceName, "1.0");

    /// <summary>One activity for a migration step that ended with <paramref name="result"/>: started
    /// <see cref="MigrationResult.Elapsed"/> ago, ended now, under the caller's current activity.
    /// Costs nothing without a listener.</summary>
    internal static void RecordMigration(MigrationResult result, string step, int dcid, int endpoint)
    {
        if (!Source.HasListeners())
        {
            return;
        }
        string name = step == "migrate" ? "dvs.migrate" : $"dvs.migrate.{step}";
        using Activity? activity = Source.StartActivity(name, ActivityKind.Internal, Activity.Current?.Context ?? default,
            startTime: DateTimeOffset.UtcNow - result.Elapsed);
        if (activity is null)
        {
            return;
        }
        activity.SetTag("dvs.dc", dcid);
        activity.SetTag("dvs.endpoint", endpoint);
        activity.SetTag("dvs.node.from", result.FromNode);
        activity.SetTag("dvs.node.to", result.ToNode);
        activity.SetTag("dvs.migration.phase", result.Phase);
        activity.SetTag("dvs.migration.epoch", result.Epoch);
        activity.SetTag("dvs.migration.state_bytes", result.StateBytes);
        if (result.IsOk)
        {
            activity.SetStatus(ActivityStatusCode.Ok);
        }
        else
        {
            activity.SetTag("dvs.error", result.Error.ToString());
            activity.SetStatus(ActivityStatusCode.Error, result.ToString());
        }
    }

    /// <summary>Starts the activity of a failover: a service of <paramref name="kind"/> whose node
    /// died brought back on this node. Null without a listener.</summary>
    internal static Activity? StartFailover(int dcid, int endpoint, string kind, int node)
    {
        Activity? activity = Source.StartActivity("dvs.failover");
        activity?.SetTag("dvs.dc", dcid);
        activity?.SetTag("dvs.endpoint", endpoint);
        activity?.SetTag("dvs.service.kind", kind);
        activity?.SetTag("dvs.node", node);
        return activity;
    }
}
