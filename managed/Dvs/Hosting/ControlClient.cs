using System.Net.Sockets;
using System.Text.Json;

namespace Dvs.Hosting;

/// <summary>
/// A connection to a node host's control socket (<see cref="ControlServer"/>): sends one request,
/// waits for its answer. Used by `dvs migrate`, `dvs status` and tests. One call at a time
/// (not thread-safe); every call blocks up to <see cref="Timeout"/>.
/// </summary>
public sealed class ControlClient : IDisposable
{
    /// <summary>Longest answer accepted (a status of a big node stays far below).</summary>
    public const int MaxResponseBytes = 16 << 20;

    private readonly ControlConnection _connection;
    private TimeSpan _timeout;

    private ControlClient(string path, Socket socket)
    {
        Path = path;
        _connection = new ControlConnection(socket);
        Timeout = TimeSpan.FromSeconds(60);
    }

    /// <summary>The socket file connected to.</summary>
    public string Path { get; }

    /// <summary>How long a call waits for its answer (a migration takes up to twice the host's
    /// migration timeout). Default 60 s.</summary>
    public TimeSpan Timeout
    {
        get => _timeout;
        set
        {
            _timeout = value;
            _connection.ReceiveTimeout = value;
        }
    }

    /// <summary>Connects to the socket at <paramref name="path"/>.</summary>
    /// <exception cref="DvsException">NotConnected: no host listens there.</exception>
    public static ControlClient Connect(string path)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            socket.Connect(new UnixDomainSocketEndPoint(path));
        }
        catch (SocketException e)
        {
            socket.Dispose();
            throw new DvsException(DvsError.NotConnected, $"no node host answers on {path}: {e.Message}");
        }
        return new ControlClient(path, socket);
    }

    /// <summary>Connects to the running host of <paramref name="nodeName"/> on this machine.</summary>
    /// <exception cref="DvsException">NotConnected: no control socket of that node, or nobody listens on it.</exception>
    public static ControlClient ForNode(string nodeName) =>
        Connect(ControlSocketPath.Find(nodeName)
            ?? throw new DvsException(DvsError.NotConnected,
                $"no control socket of node '{nodeName}' ({ControlSocketPath.Describe(nodeName)}): is its 'dvs node run' running?"));

    /// <summary>Sends <paramref name="request"/> and returns the host's answer.</summary>
    /// <exception cref="DvsException">TimedOut (no answer within <see cref="Timeout"/>), NotConnected
    /// (the host closed the connection) or BadValue (an answer that is not a response).</exception>
    public ControlResponse Send(ControlRequest request)
    {
        string? line;
        try
        {
            _connection.WriteLine(JsonSerializer.Serialize(request, ControlJsonContext.Default.ControlRequest));
            line = _connection.ReadLine(MaxResponseBytes);
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.TimedOut or SocketError.WouldBlock)
        {
            throw new DvsException(DvsError.TimedOut, $"{request.Command}: no answer from {Path} within {Timeout.TotalSeconds:0.#} s");
        }
        catch (SocketException e)
        {
            throw new DvsException(DvsError.NotConnected, $"{request.Command}: connection to {Path} failed: {e.Message}");
        }
        catch (InvalidDataException e)
        {
            throw new DvsException(DvsError.BadValue, $"{request.Command}: bad answer from {Path}: {e.Message}");
        }
        if (line is null)
        {
            throw new DvsException(DvsError.NotConnected, $"{request.Command}: {Path} closed the connection without an answer");
        }
        try
        {
            return JsonSerializer.Deserialize(line, ControlJsonContext.Default.ControlResponse)
                ?? throw new DvsException(DvsError.BadValue, $"{request.Command}: empty answer from {Path}");
        }
        catch (JsonException e)
        {
            throw new DvsException(DvsError.BadValue, $"{request.Command}: bad answer from {Path}: {e.Message}");
        }
    }

    /// <summary>The node's status.</summary>
    public ControlResponse Status() => Send(new ControlRequest { Command = ControlCommand.Status });

    /// <summary>The whole migration of endpoint <paramref name="endpoint"/> of DC <paramref name="dc"/> to node <paramref name="to"/>.</summary>
    public ControlResponse Migrate(int dc, int endpoint, int to) =>
        Send(new ControlRequest { Command = ControlCommand.Migrate, Dc = dc, Endpoint = endpoint, To = to });

    /// <summary>migr_start only.</summary>
    public ControlResponse MigrateStart(int dc, int endpoint, int to) =>
        Send(new ControlRequest { Command = ControlCommand.MigrateStart, Dc = dc, Endpoint = endpoint, To = to });

    /// <summary>migr_commit of a started migration.</summary>
    public ControlResponse MigrateCommit(int dc, int endpoint) =>
        Send(new ControlRequest { Command = ControlCommand.MigrateCommit, Dc = dc, Endpoint = endpoint });

    /// <summary>migr_rollback of a started migration.</summary>
    public ControlResponse MigrateRollback(int dc, int endpoint) =>
        Send(new ControlRequest { Command = ControlCommand.MigrateRollback, Dc = dc, Endpoint = endpoint });

    public void Dispose() => _connection.Dispose();
}
