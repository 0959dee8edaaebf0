using System.CommandLine;

namespace Dvs.Cli.Commands;

/// <summary>
/// <c>dvs echo --node node0 --endpoint 10</c>: binds a server endpoint that answers every request
/// with the request itself, until Ctrl-C. With <c>dvs ping</c>, a quick check of a node or a cluster.
/// </summary>
internal sealed class EchoCommand : Command
{
    private readonly EndpointOptions _endpoint = new(10);

    public EchoCommand() : base("echo", "Bind an endpoint that replies to every request with the request itself")
    {
        _endpoint.AddTo(this);
        SetAction(Run);
    }

    private async Task<int> Run(ParseResult parse, CancellationToken cancel)
    {
        TextWriter output = parse.InvocationConfiguration.Output;
        TextWriter error = parse.InvocationConfiguration.Error;
        string nodeName = parse.GetValue(_endpoint.Node)!;
        int dc = parse.GetValue(_endpoint.Dc);
        int number = parse.GetValue(_endpoint.Endpoint);
        Node node;
        Endpoint self;
        try
        {
            node = Node.Attach(nodeName, _endpoint.Strategy(parse));
            self = node.Bind(dc, number, "echo");
        }
        catch (DvsException e)
        {
            await error.WriteLineAsync($"dvs echo: {e.Message}");
            return ExitCode.Failure;
        }
        using (node)
        using (self)
        {
            await output.WriteLineAsync($"echo: endpoint {number} of DC {dc} on node {nodeName} ready; Ctrl-C stops it");
            await output.FlushAsync(CancellationToken.None);
            long served = 0;
            while (!cancel.IsCancellationRequested)
            {
                // A bounded wait, so Ctrl-C is noticed within 200 ms.
                DvsError e = self.ReceiveRequest(out Message request, DvsTimeout.FromMilliseconds(200));
                if (e == DvsError.TimedOut)
                {
                    continue;
                }
                if (e != DvsError.Ok)
                {
                    await error.WriteLineAsync($"dvs echo: receive failed: {e}");
                    return ExitCode.Failure;
                }
                self.Reply(request.Source, in request);
                served++;
            }
            await output.WriteLineAsync($"echo: served {served} requests");
        }
        return ExitCode.Ok;
    }
}
