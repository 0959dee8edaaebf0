namespace Dvs.Cli.Demo;

/// <summary>
/// The server process of the demo: binds endpoint 1 of DC 0 on the demo's node, answers every
/// request (echoing its sequence number so the client can check it) until a request of type -1.
/// </summary>
internal static class DemoServer
{
    public const int Endpoint = 1;
    public const int StopType = -1;

    public static int Run(string nodeName, WaitStrategy wait, TextWriter output)
    {
        using Node node = Node.Attach(nodeName, wait);
        using Endpoint self = node.Bind(0, Endpoint, "demo-server");
        output.WriteLine("ready");
        output.Flush();
        long executed = 0;
        while (true)
        {
            DvsError error = self.ReceiveRequest(out Message request, DvsTimeout.Forever);
            if (error != DvsError.Ok)
            {
                output.WriteLine($"server: receive failed: {error}");
                return ExitCode.Failure;
            }
            if (request.Type == StopType)
            {
                self.Reply(request.Source, new Message(StopType) { [0] = executed });
                return ExitCode.Ok;
            }
            executed++;
            var reply = new Message(request.Type) { [0] = request[0], [1] = executed };
            self.Reply(request.Source, in reply);
        }
    }
}
