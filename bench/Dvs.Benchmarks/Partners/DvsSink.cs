using Dvs.Benchmarks.Floor;

namespace Dvs.Benchmarks.Partners;

/// <summary>
/// Partner mode `--sink dvs &lt;node&gt; &lt;dc&gt; &lt;endpoint&gt; &lt;cpu&gt; spin|block`: binds the
/// endpoint and takes every message, checking that word 0 counts up by one (nothing lost,
/// duplicated or reordered). A request (SendRec) marks the end of a batch and is answered once
/// everything before it was taken, so the sender's time covers both ends.
/// </summary>
internal static class DvsSink
{
    /// <summary>The message type of the end-of-batch request.</summary>
    internal const int Drain = 2;

    internal static int Run(string nodeName, int dcid, int endpoint, int cpu, bool spinning)
    {
        FloorInterop.PinCurrentThread(cpu);
        using var node = Node.Attach(nodeName, spinning ? WaitStrategy.Spinning : WaitStrategy.Blocking);
        using var sink = node.Bind(dcid, endpoint);
        PartnerMode.SignalReady();
        long expected = 0;
        while (true)
        {
            var error = sink.Receive(EndpointNumber.Any, out var message, DvsTimeout.Forever);
            if (error == DvsError.Ok && message.Type == Drain)
            {
                error = sink.Reply(message.Source, in message);
            }
            else if (error == DvsError.Ok && message[0] != expected++)
            {
                Console.Error.WriteLine($"dvs sink: message {message[0]} where {expected - 1} was due");
                return 1;
            }
            if (error != DvsError.Ok)
            {
                Console.Error.WriteLine($"dvs sink: {error}");
                return 1;
            }
        }
    }
}
