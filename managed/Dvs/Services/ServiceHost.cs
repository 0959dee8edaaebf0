using System.Runtime.InteropServices;
using Dvs.Ipc;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Dvs.Services;

/// <summary>
/// Runs an <see cref="IMigratableService"/> on an endpoint: one thread taking requests
/// (ReceiveRequest), answering repeats from the exactly-once table, executing the rest and
/// replying. A migration pauses it at a message boundary, takes its state, table and held
/// requests, and either abandons it (commit: the endpoint lives on elsewhere) or resumes it
/// (rollback: the held requests are served first).
/// </summary>
public sealed class ServiceHost : IDisposable
{
    private readonly Endpoint _endpoint;
    private readonly IMigratableService _service;
    private readonly ExactlyOnceTable _table;
    private readonly Thread _thread;
    private readonly ManualResetEventSlim _paused = new(false);
    private readonly ManualResetEventSlim _resume = new(false);
    private readonly ILogger _log;
    private volatile bool _pauseRequested;
    private volatile bool _stopping;
    private long _executed;
    private long _repeats;

    internal ServiceHost(Endpoint endpoint, IMigratableService service, string kind, ExactlyOnceTable? table, ILogger? log)
    {
        _endpoint = endpoint;
        _service = service;
        _table = table ?? new ExactlyOnceTable();
        _log = log ?? NullLogger.Instance;
        Kind = kind;
        _thread = new Thread(Serve) { IsBackground = true, Name = $"dvs-service-{endpoint.Number}" };
        _thread.Start();
    }

    public int DcId => _endpoint.DcId;
    public int EndpointNumber => _endpoint.Number;
    public string Kind { get; }
    public IMigratableService Service => _service;

    /// <summary>Requests executed here (repeats answered from the table are not counted).</summary>
    public long Executed => Interlocked.Read(ref _executed);

    /// <summary>Repeated requests answered from the exactly-once table.</summary>
    public long Repeats => Interlocked.Read(ref _repeats);

    internal Endpoint Endpoint => _endpoint;

    internal ExactlyOnceTable Table => _table;

    private void Serve()
    {
        while (!_stopping)
        {
            if (_pauseRequested)
            {
                _paused.Set();
                _resume.Wait();
                _resume.Reset();
                continue;
            }
            DvsError error = _endpoint.ReceiveRequest(out Message request, DvsTimeout.FromMilliseconds(100));
            if (error is DvsError.TimedOut or DvsError.Intr)
            {
                continue;
            }
            if (error != DvsError.Ok)
            {
                if (!_stopping && !_pauseRequested)
                {
                    _log.LogWarning("service {Kind} on endpoint {Endpoint} stopped: {Error}", Kind, _endpoint.Number, error);
                }
                if (_pauseRequested)
                {
                    continue;
                }
                return;
            }
            int sequence = _endpoint.RequestSequenceOf(request.Source);
            if (_table.TryGetReply(request.Source, sequence, out Message cached))
            {
                Interlocked.Increment(ref _repeats);
                _endpoint.Reply(request.Source, in cached);
                continue;
            }
            Message reply;
            try
            {
                reply = _service.Execute(in request);
            }
            catch (Exception e)
            {
                _log.LogError(e, "service {Kind} failed on a request from {Client}", Kind, request.Source);
                reply = new Message((int)DvsError.Generic);
            }
            Interlocked.Increment(ref _executed);
            _table.Record(request.Source, sequence, in reply);
            _endpoint.Reply(request.Source, in reply);
        }
    }

    /// <summary>Stops taking requests after the current one (a message boundary). False on timeout.</summary>
    internal bool Pause(TimeSpan timeout)
    {
        _pauseRequested = true;
        _endpoint.Interrupt();
        return _paused.Wait(timeout);
    }

    /// <summary>Serves again (rollback), <paramref name="held"/> first.</summary>
    internal void Resume(IReadOnlyList<HeldMessage>? held)
    {
        if (held is { Count: > 0 })
        {
            _endpoint.Requeue(held);
        }
        _paused.Reset();
        _pauseRequested = false;
        _resume.Set();
    }

    /// <summary>Builds the package that moves with the endpoint; the host must be paused.</summary>
    internal MigrationPackage TakePackage(uint newEpoch, List<HeldMessage> held)
    {
        _endpoint.DrainHeld(held);
        var entries = _table.Entries.ToArray();
        var replies = new Message[entries.Length];
        for (int i = 0; i < entries.Length; i++)
        {
            replies[i] = entries[i].Reply;
        }
        var heldMessages = held.Select(h => h.Message).ToArray();
        return new MigrationPackage
        {
            DcId = _endpoint.DcId,
            Endpoint = _endpoint.Number,
            Kind = Kind,
            Epoch = newEpoch,
            State = _service.Snapshot(),
            TableClients = entries.Select(e => e.Client).ToArray(),
            TableSequences = entries.Select(e => e.Sequence).ToArray(),
            TableReplies = MemoryMarshal.AsBytes(replies.AsSpan()).ToArray(),
            Held = MemoryMarshal.AsBytes(heldMessages.AsSpan()).ToArray(),
            HeldMeta = held.Select(h => h.Meta).ToArray(),
        };
    }

    /// <summary>Restores a service and its table from a package (on the target node).</summary>
    internal static (ExactlyOnceTable Table, List<HeldMessage> Held) Unpack(MigrationPackage package, IMigratableService service)
    {
        service.Restore(package.State);
        var table = new ExactlyOnceTable();
        ReadOnlySpan<Message> replies = MemoryMarshal.Cast<byte, Message>(package.TableReplies);
        for (int i = 0; i < package.TableClients.Length; i++)
        {
            table.Record(package.TableClients[i], package.TableSequences[i], in replies[i]);
        }
        ReadOnlySpan<Message> held = MemoryMarshal.Cast<byte, Message>(package.Held);
        var list = new List<HeldMessage>(held.Length);
        for (int i = 0; i < held.Length; i++)
        {
            list.Add(new HeldMessage(held[i], package.HeldMeta[i]));
        }
        return (table, list);
    }

    /// <summary>Stops the thread; the endpoint is left as it is (the caller unbinds or abandons it).</summary>
    internal void Stop()
    {
        _stopping = true;
        _endpoint.Interrupt();
        _resume.Set();
        if (Thread.CurrentThread != _thread)
        {
            _thread.Join();
        }
    }

    /// <summary>Stops serving and unbinds the endpoint.</summary>
    public void Dispose()
    {
        Stop();
        _endpoint.Dispose();
        _paused.Dispose();
        _resume.Dispose();
    }
}
