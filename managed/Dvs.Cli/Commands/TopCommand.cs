using System.CommandLine;
using Dvs.Hosting;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Dvs.Cli.Commands;

/// <summary>
/// <c>dvs top --node node0 [--interval-ms 1000] [--count N]</c>: <c>dvs status</c> refreshed in
/// place (Spectre.Console live display; one block after another when stdout is not a terminal)
/// with message and retransmission rates since the previous refresh.
/// Runs until Ctrl-C, or for <c>--count</c> refreshes. A host that stops answering is shown as such
/// and top keeps trying; exit 1 only when it does not answer at the start.
/// </summary>
internal sealed class TopCommand : Command
{
    private readonly StatusSource _source = new();
    private readonly Option<int> _interval = CheckedOption.Int("--interval-ms", "Time between refreshes", 50, 86_400_000, 1000);

    private readonly Option<int> _count = CheckedOption.Int("--count", "Stop after this many refreshes (default: until Ctrl-C)", 1, int.MaxValue);

    public TopCommand() : base("top", "Watch a running node host live: peers, endpoints, counters and rates")
    {
        _source.AddTo(this);
        Add(_interval);
        Add(_count);
        SetAction(Run);
    }

    private async Task<int> Run(ParseResult parse, CancellationToken cancel)
    {
        TextWriter output = parse.InvocationConfiguration.Output;
        TextWriter error = parse.InvocationConfiguration.Error;
        string node = parse.GetValue(_source.Node)!;
        var interval = TimeSpan.FromMilliseconds(parse.GetValue(_interval));
        int count = parse.GetResult(_count) is null ? int.MaxValue : parse.GetValue(_count);

        ControlClient? client;
        NodeStatus first;
        try
        {
            client = _source.Connect(parse);
            first = await Task.Run(() => StatusSource.Read(client), CancellationToken.None);
        }
        catch (DvsException e)
        {
            await error.WriteLineAsync($"dvs top: {node}: {e.Message}");
            return ExitCode.Failure;
        }

        IAnsiConsole console = StatusView.ConsoleFor(output);
        NodeStatus? previous = null;
        DateTime previousAt = default;

        // One refresh after another, each shown by show; returns after count refreshes or Ctrl-C.
        async Task Loop(Action<IRenderable> show)
        {
            NodeStatus? current = first;
            string? problem = null;
            for (int refresh = 1; ; refresh++)
            {
                DateTime now = DateTime.UtcNow;
                show(Frame(current ?? previous!, previous, now - previousAt, refresh, count, problem));
                if (current is not null)
                {
                    previous = current;
                    previousAt = now;
                }
                if (refresh >= count)
                {
                    return;
                }
                try
                {
                    await Task.Delay(interval, cancel);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
                (current, problem, client) = await Task.Run(() => Poll(client, parse), CancellationToken.None);
            }
        }

        try
        {
            if (ReferenceEquals(output, Console.Out) && !Console.IsOutputRedirected)
            {
                // A terminal: one screen updated in place.
                await console.Live(new Text("")).AutoClear(false).StartAsync(live => Loop(frame =>
                {
                    live.UpdateTarget(frame);
                    live.Refresh();
                }));
            }
            else
            {
                // A pipe, a file or a test: no cursor to move, so each refresh follows the last
                // (like top -b), none of it cropped.
                await Loop(frame =>
                {
                    console.Write(frame);
                    console.WriteLine();
                });
            }
        }
        finally
        {
            client?.Dispose();
        }
        return ExitCode.Ok;
    }

    // The next status; on failure the last one stays on screen with the problem, and the next
    // refresh connects again (the host may have been restarted).
    private (NodeStatus?, string?, ControlClient?) Poll(ControlClient? client, ParseResult parse)
    {
        try
        {
            client ??= _source.Connect(parse);
            return (StatusSource.Read(client), null, client);
        }
        catch (DvsException e)
        {
            client?.Dispose();
            return (null, e.Message, null);
        }
    }

    private static IRenderable Frame(NodeStatus status, NodeStatus? previous, TimeSpan since, int refresh, int count, string? problem)
    {
        string rates = "";
        if (previous is not null && since > TimeSpan.Zero)
        {
            double Rate(string name) => (status.Counters.GetValueOrDefault(name) - previous.Counters.GetValueOrDefault(name)) / since.TotalSeconds;
            rates = $"; {Rate("messagesSent"):0}/s sent, {Rate("messagesReceived"):0}/s received, {Rate("retransmissions"):0}/s retransmitted";
        }
        string head = $"dvs top: refresh {refresh}{(count == int.MaxValue ? "" : $" of {count}")} at {DateTime.Now:HH:mm:ss}{rates}";
        var rows = new List<IRenderable> { new Text(head) };
        if (problem is not null)
        {
            rows.Add(new Text($"node host not answering (showing the last status): {problem}"));
        }
        rows.Add(StatusView.Render(status));
        return new Rows(rows);
    }
}
