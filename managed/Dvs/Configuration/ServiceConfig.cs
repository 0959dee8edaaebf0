namespace Dvs.Configuration;

/// <summary>
/// A <c>[service.&lt;name&gt;]</c> section: a server the node host starts and binds to an endpoint.
/// The host knows how to start a given <see cref="Kind"/>; the loader only checks that the DC exists,
/// spans this node and has the endpoint. Immutable.
/// </summary>
public sealed class ServiceConfig
{
    /// <summary>Service name (the part after <c>service.</c>).</summary>
    public required string Name { get; init; }

    /// <summary>Name of the <c>[dc.&lt;name&gt;]</c> the service lives in (the file may give the DC by name or by dcid).</summary>
    public required string Dc { get; init; }

    /// <summary>The p_nr the server binds, in [-nr_tasks, nr_procs) of its DC.</summary>
    public required int Endpoint { get; init; }

    /// <summary>What to start (e.g. <c>echo</c>); interpreted by the node host.</summary>
    public required string Kind { get; init; }

    /// <summary>Free-form arguments for the service, empty when not given.</summary>
    public string Args { get; init; } = "";

    /// <summary>Line of the <c>kind</c> key in <see cref="NodeConfig.SourceFile"/>, so a host that
    /// cannot start the kind names it; 0 when built in code.</summary>
    public int KindLine { get; init; }
}
