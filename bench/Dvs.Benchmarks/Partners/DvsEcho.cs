using Dvs.Benchmarks.Floor;

namespace Dvs.Benchmarks.Partners;

/// <summary>
/// Partner mode `--echo dvs &lt;node&gt; &lt;dc&gt; &lt;endpoint&gt; &lt;cpu&gt; spin|block`: attaches to the
/// benchmark's node, binds the server endpoint and replies to every request with the request
/// itself (ReceiveRequest, then Reply), until its client or its parent is gone.
/// </summary>
internal static class DvsEcho
{
    internal static int Run(string nodeName, int dcid, int endpoint, int cpu, bool spinning)
    {
        FloorInterop.PinCurrentThread(cpu);
        using var node = Node.Attach(nodeName, spinning ? WaitStrategy.Spinning : WaitStrategy.Blocking);
        using var server = node.Bind(dcid, endpoint);
        PartnerMode.SignalReady();
        while (true)
        {
            var error = server.ReceiveRequest(out var message, DvsTimeout.Forever);
            if (error == DvsError.Ok)
            {
                error = server.Reply(message.Source, in message);
            }
            if (error != DvsError.Ok)
            {
                Console.Error.WriteLine($"dvs echo: {error}");
                return 1;
            }
        }
    }
}
