using System.CommandLine;
using System.Globalization;
using Dvs.Hosting;

namespace Dvs.Cli.Commands;

/// <summary>
/// <c>dvs migrate --node node0 --dc 0 --endpoint 10 --to node2</c>: asks the running host of the
/// endpoint's owner node, through its control socket, to move the hosted service to another node,
/// and prints the phases and the new epoch. <c>--start</c>, <c>--commit</c> and <c>--rollback</c>
/// run one step (DVS migr_start / migr_commit / migr_rollback). Exit 0 when done, 1 when the
/// migration (or the connection) failed, 2 for bad usage.
/// </summary>
internal sealed class MigrateCommand : Command
{
    private readonly Option<string> _node = CheckedOption.Node("The node that owns the endpoint now (its 'dvs node run' must run on this machine)");

    private readonly Option<int> _dc = CheckedOption.Dc();
    private readonly Option<int> _endpoint = EndpointOptions.EndpointNumber("--endpoint", "The endpoint of the hosted service", null);
    private readonly Option<string> _to = new("--to") { Description = "The target node, by id or name (not with --commit / --rollback)" };
    private readonly Option<bool> _start = new("--start") { Description = "Only migr_start: pause, transfer, prepare the target" };
    private readonly Option<bool> _commit = new("--commit") { Description = "Only migr_commit of a started migration" };
    private readonly Option<bool> _rollback = new("--rollback") { Description = "Only migr_rollback of a started migration" };
    private readonly Option<FileInfo> _socket = new("--socket") { Description = "The node host's control socket (default: found by node name)" };
    private readonly Option<int> _timeout = CheckedOption.Int("--timeout-s", "How long to wait for the node host's answer", 1, 86_400, 60);

    public MigrateCommand() : base("migrate", "Move a hosted service's endpoint to another node while its clients keep calling it")
    {
        Add(_node);
        Add(_dc);
        Add(_endpoint);
        Add(_to);
        Add(_start);
        Add(_commit);
        Add(_rollback);
        Add(_socket);
        Add(_timeout);
        _endpoint.Required = true;
        Validators.Add(result =>
        {
            bool start = result.GetValue(_start), commit = result.GetValue(_commit), rollback = result.GetValue(_rollback);
            if ((start ? 1 : 0) + (commit ? 1 : 0) + (rollback ? 1 : 0) > 1)
            {
                result.AddError("--start, --commit and --rollback exclude each other");
            }
            bool hasTo = result.GetResult(_to) is not null;
            if ((commit || rollback) && hasTo)
            {
                result.AddError("--to is given at --start, not with --commit or --rollback");
            }
            if (!commit && !rollback && !hasTo)
            {
                result.AddError("--to is required (the target node, by id or name)");
            }
        });
        SetAction(Run);
    }

    private async Task<int> Run(ParseResult parse, CancellationToken cancel)
    {
        TextWriter output = parse.InvocationConfiguration.Output;
        TextWriter error = parse.InvocationConfiguration.Error;
        string nodeName = parse.GetValue(_node)!;
        int dc = parse.GetValue(_dc);
        int endpoint = parse.GetValue(_endpoint);
        string command = parse.GetValue(_start) ? ControlCommand.MigrateStart
            : parse.GetValue(_commit) ? ControlCommand.MigrateCommit
            : parse.GetValue(_rollback) ? ControlCommand.MigrateRollback
            : ControlCommand.Migrate;
        string what = $"endpoint {endpoint} of DC {dc}";

        ControlClient client;
        try
        {
            string? socket = parse.GetValue(_socket)?.FullName;
            client = socket is null ? ControlClient.ForNode(nodeName) : ControlClient.Connect(socket);
        }
        catch (DvsException e)
        {
            await error.WriteLineAsync($"dvs migrate: {e.Message}");
            return ExitCode.Failure;
        }

        using (client)
        {
            client.Timeout = TimeSpan.FromSeconds(parse.GetValue(_timeout));
            try
            {
                var request = new ControlRequest { Command = command, Dc = dc, Endpoint = endpoint };
                if (parse.GetValue(_to) is { } toText)
                {
                    (int? to, string? why) = ResolveTarget(client, nodeName, toText);
                    if (to is null)
                    {
                        await error.WriteLineAsync($"dvs migrate: --to {toText}: {why}");
                        return ExitCode.Usage;
                    }
                    request.To = to;
                }
                // The host answers when the command is done; nothing to do meanwhile.
                ControlResponse response = await Task.Run(() => client.Send(request), CancellationToken.None);
                return await Report(output, error, command, what, response);
            }
            catch (DvsException e)
            {
                await error.WriteLineAsync($"dvs migrate: {nodeName}: {e.Message}");
                return ExitCode.Failure;
            }
        }
    }

    /// <summary>A node id as is; a name through the owner node's peers (and its own name).</summary>
    private static (int? Id, string? Why) ResolveTarget(ControlClient client, string nodeName, string text)
    {
        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int id))
        {
            return (id, null);
        }
        ControlResponse status = client.Status();
        if (!status.Ok || status.Status is not NodeStatus node)
        {
            throw new DvsException(status.DvsError, $"status: {status.Message}");
        }
        if (node.Name.Equals(text, StringComparison.OrdinalIgnoreCase))
        {
            return (node.NodeId, null);
        }
        PeerStatus? peer = node.Peers.FirstOrDefault(p => p.Name.Equals(text, StringComparison.OrdinalIgnoreCase));
        return peer is null
            ? (null, $"node {nodeName} has no peer of that name (peers: {string.Join(", ", node.Peers.Select(p => $"{p.Name} ({p.NodeId})"))})")
            : (peer.NodeId, null);
    }

    private static async Task<int> Report(TextWriter output, TextWriter error, string command, string what, ControlResponse r)
    {
        string route = r.To is >= 0 ? $"node {r.From} -> node {r.To}" : $"on node {r.From}";
        double ms = r.ElapsedMs ?? 0;
        if (r.Ok)
        {
            string line = command switch
            {
                ControlCommand.MigrateStart =>
                    $"started: {what}, {route}: start ok, transfer ok, prepare ok ({r.StateBytes} bytes of state, {ms:0.0} ms); "
                    + "it stays paused until --commit or --rollback",
                ControlCommand.MigrateCommit => $"committed: {what}, {route}: commit ok, epoch {r.Epoch} ({ms:0.0} ms)",
                ControlCommand.MigrateRollback => $"rolled back: {what} serves on node {r.From} again ({ms:0.0} ms)",
                _ => $"migrated: {what}, {route}: start ok, transfer ok, prepare ok, commit ok; epoch {r.Epoch}, "
                    + $"{r.StateBytes} bytes of state, {ms:0.0} ms",
            };
            await output.WriteLineAsync(line);
            return ExitCode.Ok;
        }

        if (r.Phase is null)
        {
            // Refused before any migration step (a malformed request): the host says why.
            await error.WriteLineAsync($"dvs migrate: {what}: {r.Error} ({r.Code}): {r.Message}");
            return ExitCode.Failure;
        }
        // A single step reports only its own phase; the whole migration the ones it went through.
        string where = command switch
        {
            ControlCommand.MigrateCommit => "commit FAILED",
            ControlCommand.MigrateRollback => "rollback FAILED",
            _ => MigrationErrors.PhaseTrail(r.Phase),
        };
        // After a failure before the commit point the host rolled back; a commit that found the
        // target down rolled back too.
        string after = (r.Phase, r.DvsError) switch
        {
            ("start", _) => "nothing was changed",
            ("transfer" or "prepare", _) or ("commit", DvsError.NotConnected) => $"rolled back: the endpoint serves on node {r.From}",
            ("commit", DvsError.TimedOut) => "the commit was sent but not acknowledged in time; check 'dvs status' of both nodes",
            ("commit", _) => "nothing was committed",
            _ => "nothing was rolled back",
        };
        await error.WriteLineAsync(
            $"dvs migrate: {what}, {route} failed in phase {r.Phase} ({where}): {r.Error} ({r.Code}): "
            + $"{MigrationErrors.Explain(r.DvsError)}; {after}");
        return ExitCode.Failure;
    }
}
