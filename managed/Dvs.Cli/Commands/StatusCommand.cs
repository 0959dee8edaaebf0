using System.CommandLine;
using System.Text.Json;
using Dvs.Hosting;

namespace Dvs.Cli.Commands;

/// <summary>
/// <c>dvs status --node node0 [--json]</c>: one look at a running node host through its control
/// socket: the node and its peers (up / down, incarnation, RTT, retransmissions), the endpoints of
/// its DCs (state, owner, epoch, queue depth), the main counters. <c>--json</c> prints the
/// <see cref="NodeStatus"/> as one JSON line for scripts. Exit 0, 1 when the host does not run or
/// does not answer, 2 for bad usage.
/// </summary>
internal sealed class StatusCommand : Command
{
    private readonly StatusSource _source = new();
    private readonly Option<bool> _json = new("--json") { Description = "Print the status as JSON (one line) instead of tables" };

    public StatusCommand() : base("status", "Show a running node host: peers, endpoints, counters")
    {
        _source.AddTo(this);
        Add(_json);
        SetAction(Run);
    }

    private async Task<int> Run(ParseResult parse, CancellationToken cancel)
    {
        TextWriter output = parse.InvocationConfiguration.Output;
        TextWriter error = parse.InvocationConfiguration.Error;
        string node = parse.GetValue(_source.Node)!;
        NodeStatus status;
        try
        {
            using ControlClient client = _source.Connect(parse);
            status = await Task.Run(() => StatusSource.Read(client), CancellationToken.None);
        }
        catch (DvsException e)
        {
            await error.WriteLineAsync($"dvs status: {node}: {e.Message}");
            return ExitCode.Failure;
        }

        if (parse.GetValue(_json))
        {
            await output.WriteLineAsync(JsonSerializer.Serialize(status, ControlJsonContext.Default.NodeStatus));
        }
        else
        {
            StatusView.ConsoleFor(output).Write(StatusView.Render(status));
        }
        return ExitCode.Ok;
    }
}
