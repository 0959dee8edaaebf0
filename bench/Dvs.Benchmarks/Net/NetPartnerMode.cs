using System.Buffers.Binary;
using System.Net;
using Dvs.Benchmarks.Floor;
using Dvs.Benchmarks.Partners;
using NetMQ;
using NetMQ.Sockets;

namespace Dvs.Benchmarks.Net;

/// <summary>
/// The partner processes of the cross-node benchmarks, `--net ...`:
///   node &lt;name&gt; &lt;id&gt; &lt;port&gt; &lt;peer id&gt; &lt;peer port&gt; &lt;cpu&gt;   an embedded NodeHost with UDP on 127.0.0.1
///   echo &lt;node&gt; &lt;endpoint&gt; &lt;cpu&gt; blocking|default   Dvs echo server (ReceiveRequest + Reply)
///   sink &lt;node&gt; &lt;endpoint&gt; &lt;cpu&gt; blocking|default   Dvs sink (checks the count, answers the drain request)
///   rep &lt;port&gt; &lt;cpu&gt;                              NetMQ REP on tcp://127.0.0.1:port, echoes
///   pull &lt;port&gt; &lt;ack port&gt; &lt;batch&gt; &lt;cpu&gt;            NetMQ PULL; one ack on a PUSH every batch messages
///   probe &lt;seconds&gt; [all|rtt|send|floor]          not a partner: the diagnostic of CrossNodeProbe
/// Each prints "ready" when set up and exits when its stdin (a pipe from the benchmark) closes.
/// The Dvs endpoints use WaitStrategy.Default (spin 50 µs, then sleep) or Blocking (sleep at
/// once); never Spinning: with four processes on two CPUs, a partner that never sleeps would
/// starve the node host beside it.
/// </summary>
internal static class NetPartnerMode
{
    /// <summary>The cluster key of the benchmark's two node hosts.</summary>
    internal static readonly byte[] Key = Enumerable.Range(1, 32).Select(i => (byte)i).ToArray();

    internal const int DcId = 0;

    /// <summary>The receivers' ring capacity: the library's default; DVS_BENCH_NET_RING overrides it.</summary>
    internal static int RingCapacity => int.TryParse(Environment.GetEnvironmentVariable("DVS_BENCH_NET_RING"), out var c) ? c : new NodeHostOptions().RingCapacity;

    internal static int WindowFrames => int.TryParse(Environment.GetEnvironmentVariable("DVS_BENCH_NET_WINDOW"), out var w) ? w : 32;

    /// <summary>
    /// The node hosts' frame size: loopback carries datagrams up to 65507 bytes without
    /// fragmenting (its MTU is 64 KiB), so the benchmark uses the largest frame, as a loopback
    /// cluster made by `dvs config init` does (ini: [node] mtu). DVS_BENCH_NET_MTU overrides it.
    /// </summary>
    internal static int Mtu => int.TryParse(Environment.GetEnvironmentVariable("DVS_BENCH_NET_MTU"), out var mtu) ? mtu : Dvs.Configuration.LocalNodeConfig.MaxMtu;

    /// <summary>The wait strategy named on a command line: "blocking" or "default".</summary>
    internal static WaitStrategy ParseWait(string name) => name switch
    {
        "blocking" => WaitStrategy.Blocking,
        "default" => WaitStrategy.Default,
        _ => throw new ArgumentException($"wait strategy {name}: blocking or default"),
    };

    internal static int Run(string[] args)
    {
        try
        {
            switch (args)
            {
                case ["--net", "probe", var seconds]:
                    return CrossNodeProbe.Run(double.Parse(seconds, System.Globalization.CultureInfo.InvariantCulture), "all");
                case ["--net", "probe", var seconds, var which]:
                    return CrossNodeProbe.Run(double.Parse(seconds, System.Globalization.CultureInfo.InvariantCulture), which);
                case ["--net", "node", var name, var id, var port, var peerId, var peerPort, var cpu]:
                    return RunNode(name, int.Parse(id), int.Parse(port), int.Parse(peerId), int.Parse(peerPort), int.Parse(cpu));
                case ["--net", "echo", var node, var ep, var cpu, var wait]:
                    WatchParent();
                    return RunEcho(node, int.Parse(ep), int.Parse(cpu), ParseWait(wait));
                case ["--net", "sink", var node, var ep, var cpu, var wait]:
                    WatchParent();
                    return RunSink(node, int.Parse(ep), int.Parse(cpu), ParseWait(wait));
                case ["--net", "rep", var port, var cpu]:
                    WatchParent();
                    return RunRep(int.Parse(port), int.Parse(cpu));
                case ["--net", "pull", var port, var ackPort, var batch, var cpu]:
                    WatchParent();
                    return RunPull(int.Parse(port), int.Parse(ackPort), int.Parse(batch), int.Parse(cpu));
                default:
                    Console.Error.WriteLine("usage: --net node|echo|sink|rep|pull ... (see NetPartnerMode)");
                    return 2;
            }
        }
        catch (Exception e)
        {
            Console.Error.WriteLine($"partner {string.Join(' ', args)}: {e}");
            return 1;
        }
    }

    /// <summary>
    /// A node host as its own process (what `dvs node run` does), pinned before it starts so its
    /// proxy threads inherit the CPU. Stops cleanly (segment removed) when stdin closes.
    /// </summary>
    private static int RunNode(string name, int id, int port, int peerId, int peerPort, int cpu)
    {
        Pin(cpu);
        using var host = NodeHost.Start(new NodeHostOptions
        {
            NodeName = name,
            NodeId = id,
            Dcs = [new DcOptions { DcId = DcId, Name = "bench", Nodes = 0b11 }],
            RingCapacity = RingCapacity,
            Network = new NetworkOptions
            {
                Listen = new IPEndPoint(IPAddress.Loopback, port),
                Peers = { new PeerOptions { NodeId = peerId, Name = $"n{peerId}", Address = new IPEndPoint(IPAddress.Loopback, peerPort) } },
                ClusterKey = Key,
                Mtu = Mtu,
                WindowFrames = WindowFrames,
            },
        });
        PartnerMode.SignalReady();
        var input = Console.OpenStandardInput();
        var buffer = new byte[64];
        while (input.Read(buffer) > 0)
        {
        }
        return 0;
    }

    private static int RunEcho(string nodeName, int endpoint, int cpu, WaitStrategy wait)
    {
        Pin(cpu);
        using var node = Node.Attach(nodeName, wait);
        using var server = node.Bind(DcId, endpoint);
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
                Console.Error.WriteLine($"net echo: {error}");
                return 1;
            }
        }
    }

    private static int RunSink(string nodeName, int endpoint, int cpu, WaitStrategy wait)
    {
        Pin(cpu);
        using var node = Node.Attach(nodeName, wait);
        using var sink = node.Bind(DcId, endpoint);
        PartnerMode.SignalReady();
        long expected = 0;
        while (true)
        {
            var error = sink.Receive(EndpointNumber.Any, out var message, DvsTimeout.Forever);
            if (error == DvsError.Ok && message.Type == DvsSink.Drain)
            {
                error = sink.Reply(message.Source, in message);
            }
            else if (error == DvsError.Ok && message[0] != expected++)
            {
                Console.Error.WriteLine($"net sink: message {message[0]} where {expected - 1} was due");
                return 1;
            }
            if (error != DvsError.Ok)
            {
                Console.Error.WriteLine($"net sink: {error}");
                return 1;
            }
        }
    }

    private static int RunRep(int port, int cpu)
    {
        // Pinned before NetMQ starts its I/O thread, which inherits the CPU.
        Pin(cpu);
        using var rep = new ResponseSocket();
        rep.Bind($"tcp://127.0.0.1:{port}");
        PartnerMode.SignalReady();
        while (true)
        {
            var request = rep.ReceiveFrameBytes();
            rep.SendFrame(request);
        }
    }

    private static int RunPull(int port, int ackPort, int batch, int cpu)
    {
        Pin(cpu);
        using var pull = new PullSocket();
        using var ack = new PushSocket();
        pull.Bind($"tcp://127.0.0.1:{port}");
        ack.Connect($"tcp://127.0.0.1:{ackPort}");
        PartnerMode.SignalReady();
        long expected = 0;
        var done = new byte[8];
        var msg = new Msg();
        msg.InitEmpty();
        while (true)
        {
            for (var i = 0; i < batch; i++)
            {
                pull.Receive(ref msg);
                if (msg.Size != 64 || BinaryPrimitives.ReadInt64LittleEndian(msg.Slice()) != expected)
                {
                    Console.Error.WriteLine($"net pull: a message of {msg.Size} B out of order where {expected} was due");
                    return 1;
                }
                expected++;
            }
            BinaryPrimitives.WriteInt64LittleEndian(done, expected);
            ack.SendFrame(done);
        }
    }

    /// <summary>Pins the calling thread (and the threads it starts later) to <paramref name="cpu"/>; -1 leaves it to the scheduler.</summary>
    private static void Pin(int cpu)
    {
        if (cpu >= 0)
        {
            FloorInterop.PinCurrentThread(cpu);
        }
    }

    private static void WatchParent()
    {
        var watcher = new Thread(() =>
        {
            var input = Console.OpenStandardInput();
            var buffer = new byte[64];
            while (input.Read(buffer) > 0)
            {
            }
            Environment.Exit(0);
        })
        {
            IsBackground = true,
            Name = "parent watcher",
        };
        watcher.Start();
    }
}
