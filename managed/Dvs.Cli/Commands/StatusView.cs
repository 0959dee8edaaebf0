using System.Globalization;
using Dvs.Hosting;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Dvs.Cli.Commands;

/// <summary>
/// How <c>dvs status</c> and <c>dvs top</c> show a <see cref="NodeStatus"/>: the node and its peers,
/// the endpoints of its DCs, the main counters. Plain Spectre.Console tables (readable without
/// colors, in a pipe or a test). Stateless; thread-safe.
/// </summary>
internal static class StatusView
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    /// <summary>The console to show a status on: <see cref="CliConsole"/>, wide when it is not a
    /// terminal (a pipe, a file, a test), so rows stay one line each and grep finds them.</summary>
    public static IAnsiConsole ConsoleFor(TextWriter output)
    {
        IAnsiConsole console = CliConsole.For(output);
        if (!ReferenceEquals(output, Console.Out) || Console.IsOutputRedirected)
        {
            console.Profile.Width = 240;
        }
        return console;
    }

    /// <summary>Everything of <paramref name="status"/>, as one renderable.</summary>
    public static IRenderable Render(NodeStatus status) => new Rows(
        new Markup(Markup.Escape(
            $"node {status.Name} (id {status.NodeId}), incarnation {status.Incarnation:x}, segment {status.Segment}, dvs {status.Build}")),
        Nodes(status),
        Endpoints(status),
        Counters(status));

    private static Table Nodes(NodeStatus status)
    {
        var table = new Table { Title = new TableTitle("nodes") }
            .AddColumns("node", "id", "state", "incarnation", "rtt ms", "retransmissions");
        table.AddRow(Cells(status.Name, status.NodeId.ToString(Invariant), "self", status.Incarnation.ToString("x", Invariant), "-", "-"));
        foreach (PeerStatus peer in status.Peers)
        {
            table.AddRow(Cells(peer.Name, peer.NodeId.ToString(Invariant), peer.State,
                peer.Incarnation == 0 ? "-" : peer.Incarnation.ToString("x", Invariant),
                peer.RttUs > 0 ? (peer.RttUs / 1000).ToString("0.000", Invariant) : "-",
                peer.Retransmissions.ToString(Invariant)));
        }
        return table;
    }

    private static Table Endpoints(NodeStatus status)
    {
        var table = new Table { Title = new TableTitle("endpoints") }
            .AddColumns("dc", "endpoint", "name", "state", "owner", "epoch", "queue", "service");
        foreach (DcStatus dc in status.Dcs)
        {
            if (dc.Endpoints.Count == 0)
            {
                table.AddRow(Cells($"{dc.Name} ({dc.DcId})", "-", "", "(none bound)", "", "", "", ""));
            }
            foreach (EndpointStatus e in dc.Endpoints)
            {
                string service = e.Service is { } s ? $"{s.Kind}: {s.Executed} executed, {s.Repeats} repeats" : "";
                table.AddRow(Cells($"{dc.Name} ({dc.DcId})", e.Endpoint.ToString(Invariant), e.Name, e.State,
                    e.Owner.ToString(Invariant), e.Epoch.ToString(Invariant), e.Queue.ToString(Invariant), service));
            }
        }
        return table;
    }

    private static Table Counters(NodeStatus status)
    {
        long C(string name) => status.Counters.GetValueOrDefault(name);
        var drops = status.Counters
            .Where(c => c.Key.StartsWith("drop", StringComparison.Ordinal) && c.Value != 0)
            .Select(c => $"{char.ToLowerInvariant(c.Key[4])}{c.Key[5..]} {c.Value}")
            .ToList();
        long dropTotal = status.Counters.Where(c => c.Key.StartsWith("drop", StringComparison.Ordinal)).Sum(c => c.Value);
        var table = new Table { Title = new TableTitle("counters") }.AddColumns("counter", "value");
        table.AddRow(Cells("messages", $"{C("messagesSent")} sent, {C("messagesReceived")} received, {C("forwarded")} forwarded"));
        table.AddRow(Cells("frames", $"{C("framesSent")} sent, {C("framesReceived")} received, {C("retransmissions")} retransmitted"));
        table.AddRow(Cells("bytes", $"{C("bytesSent")} sent, {C("bytesReceived")} received"));
        table.AddRow(Cells("drops", dropTotal == 0 ? "0" : $"{dropTotal} ({string.Join(", ", drops)})"));
        table.AddRow(Cells("peers", $"{status.Peers.Count(p => p.State == "up")} of {status.Peers.Count} up; "
            + $"{C("peersUp")} up events, {C("peerDownEvents")} down events, {C("peerRestarts")} restarts"));
        table.AddRow(Cells("rings", $"{C("ringCellsUnblocked")} cells unblocked (claimed by a sender that died)"));
        table.AddRow(Cells("migrations", $"{C("migrationsStarted")} started, {C("migrationsCommitted")} committed, {C("migrationsRolledBack")} rolled back"));
        return table;
    }

    // Every cell as literal text: names and reasons may hold '[' which markup would parse.
    private static IRenderable[] Cells(params string[] texts) => texts.Select(t => (IRenderable)new Text(t)).ToArray();
}
