using System.Globalization;
using System.Net;
using System.Runtime.InteropServices;
using Dvs.FaultRelay;

// dvs-fault-relay --a 127.0.0.1:7001 --b 127.0.0.1:7002 [--listen-a 127.0.0.1:7101]
//                 [--listen-b 127.0.0.1:7102] [--drop 0.1] [--dup 0.1] [--reorder 0.25] [--seed 1]
// Prints "relay <for-a> <for-b>" once listening, runs until stdin closes, SIGINT or SIGTERM, then
// prints the counters of both directions.
var values = new Dictionary<string, string>(StringComparer.Ordinal);
for (int i = 0; i < args.Length; i++)
{
    if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Length)
    {
        return Usage($"unexpected argument '{args[i]}'");
    }
    values[args[i][2..]] = args[++i];
}
string[] known = ["a", "b", "listen-a", "listen-b", "drop", "dup", "reorder", "seed", "hold-ms"];
foreach (string key in values.Keys)
{
    if (Array.IndexOf(known, key) < 0)
    {
        return Usage($"unknown option --{key}");
    }
}
if (!values.TryGetValue("a", out string? a) || !values.TryGetValue("b", out string? b))
{
    return Usage("--a and --b are required");
}
try
{
    var options = new FaultOptions(
        Probability("drop"), Probability("dup"), Probability("reorder"),
        int.Parse(values.GetValueOrDefault("seed", "1"), CultureInfo.InvariantCulture))
    {
        HoldMilliseconds = int.Parse(values.GetValueOrDefault("hold-ms", "5"), CultureInfo.InvariantCulture),
    };
    using var relay = new UdpRelay(IPEndPoint.Parse(a), IPEndPoint.Parse(b), options,
        values.TryGetValue("listen-a", out string? la) ? IPEndPoint.Parse(la) : null,
        values.TryGetValue("listen-b", out string? lb) ? IPEndPoint.Parse(lb) : null);
    using var stop = new ManualResetEventSlim();
    using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.Set(); });
    using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stop.Set(); });
    relay.Start();
    Console.Out.WriteLine($"relay {relay.ForA} {relay.ForB}");
    Console.Out.Flush();
    var stdin = new Thread(() =>
    {
        try
        {
            while (Console.In.ReadLine() is not null)
            {
            }
        }
        catch (IOException)
        {
        }
        stop.Set();
    }) { IsBackground = true };
    stdin.Start();
    stop.Wait();
    // Stop the threads first: a datagram already at its target may not be counted yet (the count
    // follows the send), and a test reads these lines right after it saw the datagram arrive.
    relay.Dispose();
    Console.Out.WriteLine($"a->b {relay.AToB}");
    Console.Out.WriteLine($"b->a {relay.BToA}");
    return 0;
}
catch (Exception e) when (e is FormatException or ArgumentException or System.Net.Sockets.SocketException)
{
    Console.Error.WriteLine($"dvs-fault-relay: {e.Message}");
    return 2;
}

double Probability(string key) =>
    double.Parse(values.GetValueOrDefault(key, "0"), CultureInfo.InvariantCulture);

static int Usage(string error)
{
    Console.Error.WriteLine($"dvs-fault-relay: {error}");
    Console.Error.WriteLine("usage: dvs-fault-relay --a HOST:PORT --b HOST:PORT [--listen-a HOST:PORT] [--listen-b HOST:PORT] " +
        "[--drop P] [--dup P] [--reorder P] [--seed N] [--hold-ms N]");
    return 2;
}
