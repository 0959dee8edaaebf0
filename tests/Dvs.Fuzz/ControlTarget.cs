using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Dvs.Hosting;

namespace Dvs.Fuzz;

/// <summary>
/// Target "control": the input is what a client writes to a node host's control socket. A node host
/// of this process (no network) listens there; the harness connects, writes the input, ends its side
/// and reads every answer until the server closes. Each answer must be one JSON
/// <see cref="ControlResponse"/> line; a server that stops answering fails the run (a hang).
/// </summary>
internal sealed class ControlTarget : IDisposable
{
    private static readonly TimeSpan AnswerTimeout = TimeSpan.FromSeconds(20);
    private static readonly Lazy<ControlTarget> Shared = new(() => new ControlTarget());

    private readonly string _directory;
    private readonly NodeHost _host;
    private readonly byte[] _buffer = new byte[64 * 1024];

    private ControlTarget()
    {
        _directory = Path.Combine(Path.GetTempPath(), $"dvs-fuzz-control-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..6]}");
        _host = NodeHost.Start(new NodeHostOptions
        {
            NodeName = $"fuzzc{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..6]}",
            NodeId = 0,
            Dcs = [new DcOptions { DcId = 0, Nodes = 1 }],
            ControlSocket = Path.Combine(_directory, "control.sock"),
        });
    }

    public static void Run(ReadOnlySpan<byte> input) => Shared.Value.Exchange(input);

    public static void Stop()
    {
        if (Shared.IsValueCreated)
        {
            Shared.Value.Dispose();
        }
    }

    private void Exchange(ReadOnlySpan<byte> input)
    {
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Connect(new UnixDomainSocketEndPoint(_host.ControlSocket!));
        socket.ReceiveTimeout = (int)AnswerTimeout.TotalMilliseconds;
        try
        {
            while (!input.IsEmpty)
            {
                input = input[socket.Send(input)..];
            }
            socket.Shutdown(SocketShutdown.Send);
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionReset or SocketError.Shutdown)
        {
            // the server closed first (e.g. after a line too long): the answers so far still count
        }
        using var answers = new MemoryStream();
        while (true)
        {
            int n;
            try
            {
                n = socket.Receive(_buffer);
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.TimedOut)
            {
                throw new TimeoutException($"the control server did not answer or close within {AnswerTimeout}");
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
            {
                break;
            }
            if (n == 0)
            {
                break;
            }
            answers.Write(_buffer, 0, n);
        }
        foreach (string line in Encoding.UTF8.GetString(answers.ToArray()).Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            // Throws (a crash for the fuzzer) when an answer is not a response.
            _ = JsonSerializer.Deserialize(line, ControlJsonContext.Default.ControlResponse)
                ?? throw new InvalidDataException($"the control server answered 'null': {line}");
        }
    }

    public void Dispose()
    {
        _host.Dispose();
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }
}
