using System.CommandLine;
using Dvs.Hosting;

namespace Dvs.Cli.Commands;

/// <summary>
/// The options and the connection <c>dvs status</c> and <c>dvs top</c> share: which node host to ask
/// (by name, or its socket) and how long to wait. Not thread-safe (one per command).
/// </summary>
internal sealed class StatusSource
{
    public Option<string> Node { get; } = CheckedOption.Node("The node to show (its 'dvs node run' must run on this machine)");

    public Option<FileInfo> Socket { get; } = new("--socket") { Description = "The node host's control socket (default: found by node name)" };

    public Option<int> Timeout { get; } = CheckedOption.Int("--timeout-s", "How long to wait for the node host's answer", 1, 86_400, 10);

    public void AddTo(Command command)
    {
        command.Add(Node);
        command.Add(Socket);
        command.Add(Timeout);
    }

    /// <summary>Connects to the node host. Blocks up to the connect time of a local socket.</summary>
    /// <exception cref="DvsException">NotConnected: the node's host does not run (the message says so).</exception>
    public ControlClient Connect(ParseResult parse)
    {
        string? socket = parse.GetValue(Socket)?.FullName;
        ControlClient client = socket is null ? ControlClient.ForNode(parse.GetValue(Node)!) : ControlClient.Connect(socket);
        client.Timeout = TimeSpan.FromSeconds(parse.GetValue(Timeout));
        return client;
    }

    /// <summary>One status from the host. Blocks up to the timeout.</summary>
    /// <exception cref="DvsException">The host refused or did not answer.</exception>
    public static NodeStatus Read(ControlClient client)
    {
        ControlResponse response = client.Status();
        if (!response.Ok || response.Status is not NodeStatus status)
        {
            throw new DvsException(response.DvsError, $"status refused: {response.Error} ({response.Code}): {response.Message}");
        }
        return status;
    }
}
