// Roles for the multi-process and multi-node tests. Each prints "ready" once bound, then works, then
// prints its result line and exits 0; any failure prints "FAIL ..." and exits 1.
//   server <node> <dc> <ep> [tag]            : rcvrqst/reply until a request of type -1; every reply
//                                              carries the tag in word 3 (which server answered); a
//                                              failed reply (dead client) is counted, not fatal
//   client <node> <dc> <ep> <server> <count> : <count> sendrec calls, each reply checked
// Multi-node roles (the server may be bound on another node; they wait until it is visible here):
//   rclient <node> <dc> <firstEp> <threads> <server> <countEach> [tag]
//       : <threads> endpoints firstEp.. each make <countEach> sendrec calls, each reply checked
//         (and its tag, when given); prints "done <total> checksum <sum>" where sum adds
//         reply[1] + reply.Type over every reply (wrapping), so the test can recompute it
//   sink <node> <dc> <ep> <count>
//       : binds, prints "ready", receives nothing until a line arrives on stdin, then receives
//         <count> messages (Receive from any), checking that each sender's word 0 counts 0, 1, 2...;
//         prints "received <count> from <senders> senders in order"
//   kvserver <node> <dc> <ep>
//       : runs the "kv" service in this process (migratable by the node host); prints "ready", then
//         "moved" once it was migrated away
//   kvstandby <node> <dc> <standbyEp>
//       : waits for a "kv" service to be migrated to this node; prints "ready", then "serving <ep>"
//         once it took it over; serves until killed (or migrated away)
//   caller <node> <dc> <ep> <server>
//       : sendrec calls until the first error; prints "flowing" after 100 good calls, then
//         "stopped <DvsError> after <n>" (the error a dead peer gives, instead of a hang)
//   kvclient <node> <dc> <firstEp> <threads> <server> <step>
//       : <threads> endpoints firstEp.. each call Increment (type 3) on its own key (its endpoint
//         number) of a "kv" service without pause, checking that its replies are 1, 2, 3... (none
//         lost, none executed twice, none reordered). Commands on stdin: "mark" -> once every
//         endpoint made <step> more calls since, prints "progress <total calls>"; "stop" (or the
//         end of stdin) -> each finishes its call, then "done <total> counts <ep>:<n>,...". A failed
//         or wrong call prints "FAIL ..." at once and the role exits 1 at stop.
//   kvclient <node> <dc> <firstEp> <threads> <server> <step> oneway
//       : the same, but each endpoint streams one-way Sends of Advance (type 4: key = its endpoint
//         number, word 1 = 1, 2, 3...); the service counts any number out of order (see KvClients.cs)
//   claimstall <node> <dc> <ep>
//       : claims a cell of endpoint <ep>'s inbound ring (or of the node's outbound ring when <ep>
//         is -1) the way a send does, prints "claimed" and waits to be killed without publishing
//         it: a producer killed between claim and publish
using Dvs;

if (args.Length < 4)
{
    Console.Error.WriteLine("usage: server|client|rclient|caller <node> <dc> <ep> ...");
    return 2;
}
string role = args[0];
// A call never waits forever here: a lost reply must end the role with FAIL, not hang the test.
var callTimeout = DvsTimeout.FromMilliseconds(60_000);
var remoteTimeout = DvsTimeout.FromMilliseconds(60_000);
int dc = int.Parse(args[2]);

switch (role)
{
    case "server":
        return Server(args[1], dc, int.Parse(args[3]), args.Length > 4 ? long.Parse(args[4]) : 0);
    case "client":
        return Client(args[1], dc, int.Parse(args[3]), int.Parse(args[4]), long.Parse(args[5]));
    case "rclient":
        return RemoteClients(args[1], dc, int.Parse(args[3]), int.Parse(args[4]), int.Parse(args[5]),
            long.Parse(args[6]), args.Length > 7 ? long.Parse(args[7]) : null);
    case "sink":
        return Sink(args[1], dc, int.Parse(args[3]), long.Parse(args[4]));
    case "claimstall":
    {
        using Node node = Node.Attach(args[1]);
        if (!Dvs.Ipc.StuckClaims.ClaimWithoutPublishing(node, dc, int.Parse(args[3])))
        {
            Console.WriteLine("FAIL ring full");
            return 1;
        }
        Console.WriteLine("claimed");
        Thread.Sleep(Timeout.Infinite);   // until the test kills this process
        return 0;
    }
    case "caller":
        return Caller(args[1], dc, int.Parse(args[3]), int.Parse(args[4]));
    case "onecall":
    {
        // One SendRec of [0] = value; prints what came back (issue 11.1: the reply must be its own).
        using Node node = Node.Attach(args[1]);
        using Endpoint self = node.Bind(dc, int.Parse(args[3]));
        Ready();
        var m = new Message(1) { [0] = long.Parse(args[5]) };
        DvsError e = self.SendRec(int.Parse(args[4]), ref m, DvsTimeout.FromMilliseconds(60_000));
        Console.WriteLine(e == DvsError.Ok ? $"reply {m[0]}" : $"error {e}");
        return 0;
    }
    case "kvclient":
        return KvClients(args[1], dc, int.Parse(args[3]), int.Parse(args[4]), int.Parse(args[5]), long.Parse(args[6]),
            retry: args.Length > 7 && args[7] == "retry", oneWay: args.Length > 7 && args[7] == "oneway");
    case "kvserver":
    {
        using Node node = Node.Attach(args[1]);
        using Dvs.Services.ServiceHost host = Dvs.Services.ServiceHost.Start(node, dc, int.Parse(args[3]),
            new Dvs.Services.KeyValueService(), Dvs.Services.KeyValueService.KindName);
        Ready();
        if (!host.Join(TimeSpan.FromMinutes(5)))
        {
            Console.WriteLine("FAIL still serving");
            return 1;
        }
        Console.WriteLine("moved");
        return 0;
    }
    case "kvstandby":
    {
        using Node node = Node.Attach(args[1]);
        Dvs.Services.ServiceHost? host = Dvs.Services.ServiceHost.Standby(node, dc, int.Parse(args[3]),
            Dvs.Services.KeyValueService.KindName, () => new Dvs.Services.KeyValueService(), TimeSpan.FromMinutes(5), Ready);
        if (host is null)
        {
            Console.WriteLine("FAIL nothing came");
            return 1;
        }
        Console.WriteLine($"serving {host.EndpointNumber}");
        Console.Out.Flush();
        // Serves until migrated away again or killed by the test (stdin may be closed: not a signal).
        host.Join(TimeSpan.FromMinutes(5));
        host.Dispose();
        return 0;
    }
    default:
        Console.Error.WriteLine($"unknown role {role}");
        return 2;
}

int Server(string nodeName, int dcid, int ep, long tag)
{
    using Node node = Node.Attach(nodeName);
    using Endpoint self = node.Bind(dcid, ep);
    Ready();
    // Executed count per client, to prove nothing ran twice or was skipped: the client's i-th
    // request must be the server's i-th from that client.
    var perClient = new Dictionary<int, long>();
    long executed = 0;
    long replyErrors = 0;
    while (true)
    {
        DvsError e = self.ReceiveRequest(out Message rq, DvsTimeout.Forever);
        if (e != DvsError.Ok)
        {
            Console.WriteLine($"FAIL receive {e}");
            return 1;
        }
        if (rq.Type == -1)
        {
            self.Reply(rq.Source, new Message(-1) { [0] = executed, [3] = tag });
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
        var reply = new Message(rq.Type + 1) { [0] = rq[0], [1] = rq[0] * 3 + 1, [2] = executed, [3] = tag };
        e = self.Reply(rq.Source, in reply);
        if (e != DvsError.Ok)
        {
            // A client (or its whole node) may die between its request and this reply: a server
            // lives on; the error is counted and reported on exit.
            Console.Error.WriteLine($"reply to {rq.Source}: {e}");
            replyErrors++;
        }
    }
    Console.WriteLine($"executed {executed}");
    foreach ((int client, long n) in perClient.OrderBy(p => p.Key))
    {
        Console.WriteLine($"client {client} executed {n}");
    }
    if (replyErrors > 0)
    {
        Console.WriteLine($"reply errors {replyErrors}");
    }
    return 0;
}

int Client(string nodeName, int dcid, int ep, int server, long count)
{
    using Node node = Node.Attach(nodeName);
    using Endpoint self = node.Bind(dcid, ep);
    Ready();
    for (long i = 0; i < count; i++)
    {
        var m = new Message((int)(i & 0xFFFF)) { [0] = i };
        DvsError e = self.SendRec(server, ref m, DvsTimeout.Forever);
        if (e != DvsError.Ok)
        {
            Console.WriteLine($"FAIL sendrec {i}: {e}");
            return 1;
        }
        if (!Answers(m, server, i, null, out string? why))
        {
            Console.WriteLine($"FAIL reply {i} {why}");
            return 1;
        }
    }
    Console.WriteLine($"done {count}");
    return 0;
}

int RemoteClients(string nodeName, int dcid, int firstEp, int threads, int server, long countEach, long? tag)
{
    // Many callers in one process: each blocks in the kernel while its call crosses the network, so
    // the host's proxy has several calls in flight without a process (and a spinning CPU) per caller.
    using Node node = Node.Attach(nodeName, WaitStrategy.Blocking);
    var endpoints = new Endpoint[threads];
    for (int t = 0; t < threads; t++)
    {
        endpoints[t] = node.Bind(dcid, firstEp + t);
    }
    try
    {
        DvsError seen = node.WaitForRemote(dcid, server, remoteTimeout);
        if (seen != DvsError.Ok)
        {
            Console.WriteLine($"FAIL server {server} of DC {dcid} not visible on {nodeName}: {seen}");
            return 1;
        }
        Ready();
        var failures = new string?[threads];
        var sums = new ulong[threads];
        var workers = new Thread[threads];
        for (int t = 0; t < threads; t++)
        {
            int index = t;
            workers[t] = new Thread(() => failures[index] = Calls(endpoints[index], server, countEach, tag, out sums[index]));
            workers[t].Start();
        }
        foreach (Thread w in workers)
        {
            w.Join();
        }
        if (failures.FirstOrDefault(f => f is not null) is { } failure)
        {
            Console.WriteLine($"FAIL {failure}");
            return 1;
        }
        ulong checksum = 0;
        foreach (ulong s in sums)
        {
            checksum = unchecked(checksum + s);
        }
        Console.WriteLine($"done {threads * countEach} checksum {checksum}");
        return 0;
    }
    finally
    {
        foreach (Endpoint e in endpoints)
        {
            e.Dispose();
        }
    }
}

string? Calls(Endpoint self, int server, long count, long? tag, out ulong checksum)
{
    checksum = 0;
    for (long i = 0; i < count; i++)
    {
        var m = new Message((int)(i & 0xFFFF)) { [0] = i };
        DvsError e = self.SendRec(server, ref m, callTimeout);
        if (e != DvsError.Ok)
        {
            return $"endpoint {self.Number} sendrec {i}: {e}";
        }
        if (!Answers(m, server, i, tag, out string? why))
        {
            return $"endpoint {self.Number} reply {i} {why}";
        }
        checksum = unchecked(checksum + (ulong)m[1] + (ulong)m.Type);
    }
    return null;
}

int Sink(string nodeName, int dcid, int ep, long count)
{
    using Node node = Node.Attach(nodeName, WaitStrategy.Blocking);
    using Endpoint self = node.Bind(dcid, ep);
    Ready();
    // Stuck on purpose until the test says so: senders' messages pile up meanwhile.
    Console.In.ReadLine();
    var next = new Dictionary<int, long>();
    for (long i = 0; i < count; i++)
    {
        DvsError e = self.Receive(EndpointNumber.Any, out Message m, callTimeout);
        if (e != DvsError.Ok)
        {
            Console.WriteLine($"FAIL receive {i}: {e}");
            return 1;
        }
        next.TryGetValue(m.Source, out long expected);
        if (m[0] != expected)
        {
            Console.WriteLine($"FAIL message {m[0]} of {m.Source} arrived as its {expected}th");
            return 1;
        }
        next[m.Source] = expected + 1;
    }
    Console.WriteLine($"received {count} from {next.Count} senders in order");
    return 0;
}

int Caller(string nodeName, int dcid, int ep, int server)
{
    using Node node = Node.Attach(nodeName, WaitStrategy.Blocking);
    using Endpoint self = node.Bind(dcid, ep);
    DvsError seen = node.WaitForRemote(dcid, server, remoteTimeout);
    if (seen != DvsError.Ok)
    {
        Console.WriteLine($"FAIL server {server} of DC {dcid} not visible on {nodeName}: {seen}");
        return 1;
    }
    Ready();
    long i = 0;
    while (true)
    {
        var m = new Message((int)(i & 0xFFFF)) { [0] = i };
        DvsError e = self.SendRec(server, ref m, callTimeout);
        if (e != DvsError.Ok)
        {
            Console.WriteLine($"stopped {e} after {i}");
            return 0;
        }
        if (!Answers(m, server, i, null, out string? why))
        {
            Console.WriteLine($"FAIL reply {i} {why}");
            return 1;
        }
        if (++i == 100)
        {
            Console.WriteLine("flowing");
            Console.Out.Flush();
        }
    }
}

// retry: a call that failed because the server's node died (a crash, not a migration) is retried
// as the same request (RetrySendRec) until the server is back, for up to a minute: the service's
// exactly-once table still answers each call at most once.
int KvClients(string nodeName, int dcid, int firstEp, int threads, int server, long step, bool retry, bool oneWay)
{
    const int Increment = 3;   // Dvs.Services.KeyValueService.Increment
    const int Advance = 4;     // Dvs.Services.KeyValueService.Advance
    using Node node = Node.Attach(nodeName, WaitStrategy.Blocking);
    var endpoints = new Endpoint[threads];
    for (int t = 0; t < threads; t++)
    {
        endpoints[t] = node.Bind(dcid, firstEp + t);
    }
    try
    {
        // Served here, or known here from its node's announcement.
        DvsError seen = node.GetEndpointInfo(dcid, server)?.State == "local" ? DvsError.Ok : node.WaitForRemote(dcid, server, remoteTimeout);
        if (seen != DvsError.Ok)
        {
            Console.WriteLine($"FAIL server {server} of DC {dcid} not visible on {nodeName}: {seen}");
            return 1;
        }
        var counts = new long[threads];
        string? failure = null;
        bool stop = false;
        var progressed = new ManualResetEventSlim(false);
        var workers = new Thread[threads];
        for (int t = 0; t < threads; t++)
        {
            int index = t;
            workers[t] = new Thread(() =>
            {
                Endpoint self = endpoints[index];
                while (!Volatile.Read(ref stop))
                {
                    long expected = counts[index] + 1;
                    if (oneWay)
                    {
                        var numbered = new Message(Advance) { [0] = self.Number, [1] = expected };
                        DvsError sent = self.Send(server, in numbered, callTimeout);
                        if (sent != DvsError.Ok)
                        {
                            string failed = $"endpoint {self.Number} send {expected}: {sent}";
                            Interlocked.CompareExchange(ref failure, failed, null);
                            Console.WriteLine($"FAIL {failed}");
                            Console.Out.Flush();
                            progressed.Set();
                            return;
                        }
                        Volatile.Write(ref counts[index], expected);
                        progressed.Set();
                        if (expected % 8 == 0)
                        {
                            // Paced: an unpaced flood fills the paused service's queues on the old
                            // owner, which holds back the target's whole session, its COMMITTED too.
                            Thread.Sleep(1);
                        }
                        continue;
                    }
                    var m = new Message(Increment) { [0] = self.Number };
                    DvsError e = self.SendRec(server, ref m, callTimeout);
                    var until = DateTime.UtcNow + TimeSpan.FromMinutes(1);
                    while (retry && e is DvsError.NotConnected or DvsError.DstDied or DvsError.NotBind or DvsError.TimedOut && DateTime.UtcNow < until)
                    {
                        if (node.GetEndpointInfo(dcid, server)?.State != "local")
                        {
                            node.WaitForRemote(dcid, server, DvsTimeout.FromMilliseconds(1000));
                        }
                        m = new Message(Increment) { [0] = self.Number };
                        e = self.RetrySendRec(self.LastRequest, ref m, callTimeout);
                    }
                    string? why = e != DvsError.Ok ? $"endpoint {self.Number} call {expected}: {e}"
                        : m.Type != Increment || m[0] != expected ? $"endpoint {self.Number} call {expected} got {m[0]} (type {m.Type})"
                        : null;
                    if (why is not null)
                    {
                        Interlocked.CompareExchange(ref failure, why, null);
                        Console.WriteLine($"FAIL {why}");
                        Console.Out.Flush();
                        progressed.Set();
                        return;
                    }
                    Volatile.Write(ref counts[index], expected);
                    progressed.Set();
                }
            }) { IsBackground = true };
        }
        Ready();
        foreach (Thread w in workers)
        {
            w.Start();
        }
        while (Console.In.ReadLine() is { } line && line != "stop")
        {
            if (line != "mark")
            {
                continue;
            }
            long[] targets = counts.Select(c => Volatile.Read(ref c) + step).ToArray();
            while (Volatile.Read(ref failure) is null)
            {
                progressed.Reset();
                if (Enumerable.Range(0, threads).All(t => Volatile.Read(ref counts[t]) >= targets[t]))
                {
                    Console.WriteLine($"progress {counts.Sum(c => Volatile.Read(ref c))}");
                    Console.Out.Flush();
                    break;
                }
                if (!progressed.Wait(TimeSpan.FromSeconds(120)))
                {
                    Console.WriteLine($"FAIL no progress for 120 s: counts {string.Join(",", counts)}");
                    return 1;
                }
            }
        }
        Volatile.Write(ref stop, true);
        foreach (Thread w in workers)
        {
            w.Join();
        }
        if (failure is not null)
        {
            Console.WriteLine($"FAIL {failure}");
            return 1;
        }
        string list = string.Join(",", endpoints.Select((e, t) => $"{e.Number}:{counts[t]}"));
        Console.WriteLine($"done {counts.Sum()} counts {list}");
        return 0;
    }
    finally
    {
        foreach (Endpoint e in endpoints)
        {
            e.Dispose();
        }
    }
}

static bool Answers(in Message m, int server, long i, long? tag, out string? why)
{
    why = null;
    if (m.Source != server || m.Type != (int)(i & 0xFFFF) + 1 || m[0] != i || m[1] != i * 3 + 1)
    {
        why = $"answers another request: source {m.Source} type {m.Type} [0]={m[0]} [1]={m[1]}";
    }
    else if (tag is { } t && m[3] != t)
    {
        why = $"came from the server tagged {m[3]}, not {t}";
    }
    return why is null;
}

static void Ready()
{
    Console.WriteLine("ready");
    Console.Out.Flush();
}
