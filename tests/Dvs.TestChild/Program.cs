// Roles for the multi-process tests. Each prints "ready" once bound, then works, then prints its
// result line and exits 0; any failure prints "FAIL ..." and exits 1.
//   server <node> <dc> <ep>                  : rcvrqst/reply until a request of type -1
//   client <node> <dc> <ep> <server> <count> : <count> sendrec calls, each reply checked
using Dvs;

if (args.Length < 4)
{
    Console.Error.WriteLine("usage: server|client <node> <dc> <ep> [server count]");
    return 2;
}
string role = args[0];
using Node node = Node.Attach(args[1]);
int dc = int.Parse(args[2]);
using Endpoint self = node.Bind(dc, int.Parse(args[3]));
Console.WriteLine("ready");
Console.Out.Flush();
var forever = DvsTimeout.Forever;

if (role == "server")
{
    // Executed count per client, to prove nothing ran twice or was skipped: the client's i-th
    // request must be the server's i-th from that client.
    var perClient = new Dictionary<int, long>();
    long executed = 0;
    while (true)
    {
        DvsError e = self.ReceiveRequest(out Message rq, forever);
        if (e != DvsError.Ok)
        {
            Console.WriteLine($"FAIL receive {e}");
            return 1;
        }
        if (rq.Type == -1)
        {
            self.Reply(rq.Source, new Message(-1) { [0] = executed });
            break;
        }
        perClient.TryGetValue(rq.Source, out long n);
        if (rq[0] != n)
        {
            Console.WriteLine($"FAIL client {rq.Source} request {rq[0]} arrived as its {n}th");
            return 1;
        }
        perClient[rq.Source] = n + 1;
        executed++;
        var reply = new Message(rq.Type + 1) { [0] = rq[0], [1] = rq[0] * 3 + 1, [2] = executed };
        e = self.Reply(rq.Source, in reply);
        if (e != DvsError.Ok)
        {
            Console.WriteLine($"FAIL reply {e}");
            return 1;
        }
    }
    Console.WriteLine($"executed {executed}");
    return 0;
}

if (role == "client")
{
    int server = int.Parse(args[4]);
    long count = long.Parse(args[5]);
    for (long i = 0; i < count; i++)
    {
        var m = new Message((int)(i & 0xFFFF)) { [0] = i };
        DvsError e = self.SendRec(server, ref m, forever);
        if (e != DvsError.Ok)
        {
            Console.WriteLine($"FAIL sendrec {i}: {e}");
            return 1;
        }
        if (m.Source != server || m.Type != (int)(i & 0xFFFF) + 1 || m[0] != i || m[1] != i * 3 + 1)
        {
            Console.WriteLine($"FAIL reply {i} answers another request: type {m.Type} [0]={m[0]} [1]={m[1]}");
            return 1;
        }
    }
    Console.WriteLine($"done {count}");
    return 0;
}

Console.Error.WriteLine($"unknown role {role}");
return 2;
