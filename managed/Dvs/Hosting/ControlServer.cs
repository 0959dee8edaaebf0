using System.Net.Sockets;
using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace Dvs.Hosting;

/// <summary>
/// A node host's local control channel: a Unix domain stream socket (mode 0600, in a 0700 folder:
/// see <see cref="ControlSocketPath"/>) taking one JSON <see cref="ControlRequest"/> per line and
/// answering each with one <see cref="ControlResponse"/> line, in order. Commands: status, migrate,
/// migrate-start, migrate-commit, migrate-rollback (<see cref="ControlCommand"/>). One thread
/// accepts, one thread per connection serves (a migration blocks its connection only), at most
/// <see cref="MaxConnections"/> at once. Started by
/// <see cref="NodeHost"/> when <see cref="NodeHostOptions.ControlSocket"/> is set; disposing it
/// closes every connection and removes the socket file.
/// </summary>
internal sealed class ControlServer : IDisposable
{
    /// <summary>Longest request line accepted; real requests are under 100 bytes.</summary>
    public const int MaxRequestBytes = 64 * 1024;

    /// <summary>Connections served at once (each has a thread; a migration holds its one for its
    /// duration). Beyond it a connection gets one refusal line and is closed.</summary>
    public const int MaxConnections = 16;

    private static readonly TimeSpan JoinTimeout = TimeSpan.FromSeconds(5);
    private readonly Socket _listener;
    private readonly NodeHost _host;
    private readonly ILogger _log;
    private readonly Thread _acceptor;
    private readonly Dictionary<ControlConnection, Thread> _connections = new();
    private readonly Lock _lock = new();
    private volatile bool _stopping;

    private ControlServer(string path, Socket listener, NodeHost host, ILogger log)
    {
        Path = path;
        _listener = listener;
        _host = host;
        _log = log;
        _acceptor = new Thread(AcceptLoop) { IsBackground = true, Name = $"dvs-control-{host.NodeName}" };
        _acceptor.Start();
    }

    /// <summary>The socket file.</summary>
    public string Path { get; }

    /// <summary>Listens on <paramref name="path"/> (its folder is created 0700 when missing; a stale
    /// socket file is replaced: the caller owns the node, so no live host uses it).</summary>
    /// <exception cref="DvsException">The socket cannot be created.</exception>
    public static ControlServer Start(string path, NodeHost host, ILogger log)
    {
        if (OperatingSystem.IsWindows())
        {
            throw new DvsException(DvsError.Invalid, "the control socket needs Linux (Unix file modes)");
        }
        var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            string dir = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!;
            if (!Directory.Exists(dir))
            {
                Directory.CreateDirectory(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }
            File.Delete(path);
            listener.Bind(new UnixDomainSocketEndPoint(path));
            // Before listen(): nobody can connect while the file still has the umask's mode.
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            listener.Listen(16);
        }
        catch (Exception e) when (e is SocketException or IOException or UnauthorizedAccessException or ArgumentException)
        {
            listener.Dispose();
            throw new DvsException(DvsError.Io, $"control socket {path}: {e.Message}");
        }
        return new ControlServer(path, listener, host, log);
    }

    private void AcceptLoop()
    {
        while (!_stopping)
        {
            Socket client;
            try
            {
                client = _listener.Accept();
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                if (!_stopping)
                {
                    _log.LogWarning("control socket {Path}: accept failed: {Error}", Path, e.Message);
                }
                return;
            }
            var connection = new ControlConnection(client);
            var thread = new Thread(() => Serve(connection)) { IsBackground = true, Name = $"dvs-control-conn-{_host.NodeName}" };
            bool full;
            lock (_lock)
            {
                if (_stopping)
                {
                    connection.Dispose();
                    return;
                }
                full = _connections.Count >= MaxConnections;
                if (!full)
                {
                    _connections.Add(connection, thread);
                }
            }
            if (full)
            {
                Refuse(connection);
                continue;
            }
            thread.Start();
        }
    }

    // Too many at once: one answer, written on the accepting thread (a local socket's buffer
    // takes it without blocking), then closed, so idle clients cannot make the host grow threads.
    private void Refuse(ControlConnection connection)
    {
        try
        {
            connection.WriteLine(Serialize(ControlResponse.Failure(DvsError.RscBusy,
                $"too many control connections ({MaxConnections} open); close one or try again")));
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or IOException)
        {
            // the client went away already
        }
        finally
        {
            connection.Dispose();
        }
    }

    private void Serve(ControlConnection connection)
    {
        try
        {
            while (!_stopping)
            {
                string? line;
                try
                {
                    line = connection.ReadLine(MaxRequestBytes);
                }
                catch (InvalidDataException e)
                {
                    connection.WriteLine(Serialize(ControlResponse.Failure(DvsError.BadRequest, e.Message)));
                    return;   // the rest of the stream cannot be trusted to be in step
                }
                if (line is null)
                {
                    return;
                }
                if (line.Length == 0)
                {
                    continue;
                }
                connection.WriteLine(Serialize(Handle(line)));
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or IOException)
        {
            // the client went away, or the server is stopping
        }
        finally
        {
            lock (_lock)
            {
                _connections.Remove(connection);
            }
            connection.Dispose();
        }
    }

    private static string Serialize(ControlResponse response) =>
        JsonSerializer.Serialize(response, ControlJsonContext.Default.ControlResponse);

    /// <summary>Parses and runs one request line. Blocks for as long as the command runs (a migration: up to twice its timeout).</summary>
    internal ControlResponse Handle(string line)
    {
        ControlRequest? request;
        try
        {
            request = JsonSerializer.Deserialize(line, ControlJsonContext.Default.ControlRequest);
        }
        catch (JsonException e)
        {
            return ControlResponse.Failure(DvsError.BadRequest, $"not a JSON request: {e.Message}");
        }
        if (request is null)
        {
            return ControlResponse.Failure(DvsError.BadRequest, "not a JSON request: null");
        }
        try
        {
            return Run(request);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // The host is stopping under the command, or a bug: the client gets an answer either way.
            _log.LogError(e, "control command {Command} failed", request.Command);
            return ControlResponse.Failure(DvsError.Generic, $"{request.Command}: {e.Message}");
        }
    }

    private ControlResponse Run(ControlRequest request)
    {
        switch (request.Command)
        {
            case ControlCommand.Status:
                return new ControlResponse { Ok = true, Status = _host.GetStatus() };
            case ControlCommand.Migrate:
            case ControlCommand.MigrateStart:
                if (Missing(request, needsTarget: true) is { } bad)
                {
                    return bad;
                }
                _log.LogInformation("control: {Command} endpoint {Endpoint} of DC {Dc} to node {To}",
                    request.Command, request.Endpoint, request.Dc, request.To);
                return ControlResponse.Of(request.Command == ControlCommand.Migrate
                    ? _host.Migrate(request.Dc!.Value, request.Endpoint!.Value, request.To!.Value)
                    : _host.StartMigration(request.Dc!.Value, request.Endpoint!.Value, request.To!.Value));
            case ControlCommand.MigrateCommit:
            case ControlCommand.MigrateRollback:
                if (Missing(request, needsTarget: false) is { } missing)
                {
                    return missing;
                }
                _log.LogInformation("control: {Command} endpoint {Endpoint} of DC {Dc}", request.Command, request.Endpoint, request.Dc);
                return ControlResponse.Of(request.Command == ControlCommand.MigrateCommit
                    ? _host.CommitMigration(request.Dc!.Value, request.Endpoint!.Value)
                    : _host.RollbackMigration(request.Dc!.Value, request.Endpoint!.Value));
            default:
                return ControlResponse.Failure(DvsError.BadRequest,
                    $"unknown command '{request.Command}' (commands: {string.Join(", ", ControlCommand.All)})");
        }
    }

    private static ControlResponse? Missing(ControlRequest request, bool needsTarget)
    {
        var missing = new List<string>();
        if (request.Dc is null)
        {
            missing.Add("dc");
        }
        if (request.Endpoint is null)
        {
            missing.Add("endpoint");
        }
        if (needsTarget && request.To is null)
        {
            missing.Add("to");
        }
        return missing.Count == 0
            ? null
            : ControlResponse.Failure(DvsError.BadRequest, $"{request.Command} needs {string.Join(", ", missing)}");
    }

    /// <summary>Stops accepting, ends every connection (a command running on one finishes first,
    /// within a bound) and removes the socket file.</summary>
    public void Dispose()
    {
        if (_stopping)
        {
            return;
        }
        _stopping = true;
        // Shutdown wakes the blocked accept(); closing alone does not on Linux.
        try
        {
            _listener.Shutdown(SocketShutdown.Both);
        }
        catch (SocketException)
        {
            // a listening socket is not connected: expected
        }
        _listener.Dispose();
        _acceptor.Join(JoinTimeout);
        KeyValuePair<ControlConnection, Thread>[] open;
        lock (_lock)
        {
            open = _connections.ToArray();
        }
        foreach ((ControlConnection connection, Thread thread) in open)
        {
            connection.Shutdown();
            thread.Join(JoinTimeout);
        }
        try
        {
            File.Delete(Path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _log.LogWarning("control socket {Path} could not be removed: {Error}", Path, e.Message);
        }
    }
}
