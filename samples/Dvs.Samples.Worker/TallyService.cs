using System.Buffers.Binary;
using Dvs.Services;
using Microsoft.Extensions.Options;

namespace Dvs.Samples.Worker;

/// <summary>
/// A small service endpoint: adds word 0 of each request to a running total and replies with the
/// total (word 0) and the number of requests (word 1). Created by dependency injection (its
/// logger and options are injected); its state (the two numbers) moves with it if the endpoint
/// migrates. Called by its service host's thread only.
/// </summary>
public sealed class TallyService(ILogger<TallyService> log, IOptions<TallyOptions> options) : IMigratableService
{
    /// <summary>Its kind: a node host it migrates to must know it.</summary>
    public const string Kind = "tally";

    private readonly int _logEvery = Math.Max(1, options.Value.LogEvery);
    private long _total;
    private long _requests;

    /// <inheritdoc />
    public Message Execute(in Message request)
    {
        _total += request[0];
        _requests++;
        if (_requests % _logEvery == 0)
        {
            log.LogInformation("{Requests} requests, total {Total}", _requests, _total);
        }
        Message reply = request;
        reply[0] = _total;
        reply[1] = _requests;
        return reply;
    }

    /// <inheritdoc />
    public bool IsDeterministic => true;

    /// <inheritdoc />
    public byte[] Snapshot()
    {
        var state = new byte[16];
        BinaryPrimitives.WriteInt64LittleEndian(state, _total);
        BinaryPrimitives.WriteInt64LittleEndian(state.AsSpan(8), _requests);
        return state;
    }

    /// <inheritdoc />
    public void Restore(ReadOnlySpan<byte> snapshot)
    {
        _total = BinaryPrimitives.ReadInt64LittleEndian(snapshot);
        _requests = BinaryPrimitives.ReadInt64LittleEndian(snapshot[8..]);
    }
}
