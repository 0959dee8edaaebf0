using System.Diagnostics;
using Dvs;

// A client of the worker's tally service: attaches to node "sample0" (run by
// samples/Dvs.Samples.Worker), binds endpoint 40 of DC 0 and sends N requests (default 10,000)
// to endpoint 10 with SendRec, checking every reply.
//   dotnet run --project samples/Dvs.Samples.Client -- [count] [node] [endpoint]
int count = args.Length > 0 ? int.Parse(args[0]) : 10_000;
string nodeName = args.Length > 1 ? args[1] : "sample0";
int service = args.Length > 2 ? int.Parse(args[2]) : 10;
const int Me = 40;
DvsTimeout timeout = DvsTimeout.FromMilliseconds(5_000);

Node node;
try
{
    node = Node.Attach(nodeName);
}
catch (DvsException e)
{
    Console.Error.WriteLine($"cannot attach to node {nodeName} (is the worker running?): {e.Message}");
    return 1;
}

using (node)
{
    DvsError bound = node.TryBind(0, Me, out Endpoint? client, name: "sample-client");
    if (bound != DvsError.Ok || client is null)
    {
        Console.Error.WriteLine($"cannot bind endpoint {Me} of DC 0: {bound}");
        return 1;
    }
    using (client)
    {
        // The reply carries the service's running total and request count: check each against the
        // first reply, so a second run of the client (the total is the service's) checks as well.
        var first = new Message(1) { [0] = 1 };
        DvsError error = client.SendRec(service, ref first, timeout);
        if (error != DvsError.Ok)
        {
            Console.Error.WriteLine($"request 0 to endpoint {service}: {error}");
            return 1;
        }
        long total = first[0], requests = first[1];
        var clock = Stopwatch.StartNew();
        for (int i = 1; i < count; i++)
        {
            var m = new Message(1) { [0] = i + 1 };
            error = client.SendRec(service, ref m, timeout);
            total += i + 1;
            requests++;
            if (error != DvsError.Ok || m[0] != total || m[1] != requests)
            {
                Console.Error.WriteLine($"request {i}: {error}, reply total {m[0]} (expected {total}), requests {m[1]} (expected {requests})");
                return 1;
            }
        }
        clock.Stop();
        Console.WriteLine($"{count} requests to endpoint {service} of node {nodeName}: every reply checked, "
            + $"{clock.Elapsed.TotalMicroseconds / Math.Max(1, count - 1):0.0} us per SendRec; the service's total is {total} after {requests} requests");
    }
}
return 0;
