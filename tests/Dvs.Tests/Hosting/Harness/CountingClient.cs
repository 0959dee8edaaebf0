using Dvs.Services;

namespace Dvs.Tests.Hosting.Harness;

/// <summary>
/// A kv client for the harness's properties, never blocking the test thread: increments its own
/// key with SendRecAsync, one request at a time, and retries a failed request (RetrySendRecAsync:
/// the same request, which the service's exactly-once table answers without executing it again)
/// until it gets its reply. Each reply must be the count of its acknowledged increments: a lost
/// reply, a request executed twice or one lost would show as a gap or a repeat.
/// </summary>
internal sealed class CountingClient(Endpoint endpoint, int server, long key, int count, Random random, TimeSpan? callTimeout = null)
{
    // Wall-clock (an endpoint's wait knows no virtual time): a call that times out lost its reply.
    private readonly DvsTimeout _callTimeout = callTimeout ?? TimeSpan.FromSeconds(30);

    private ValueTask<DvsResult>? _pending;
    private RequestId _request;

    public long Key => key;

    /// <summary>Increments whose reply came.</summary>
    public int Acknowledged { get; private set; }

    /// <summary>Calls that failed (then retried), by error.</summary>
    public Dictionary<DvsError, int> Failures { get; } = new();

    public bool Done => Acknowledged == count && _pending is null;

    private Message Request
    {
        get
        {
            var m = new Message(KeyValueService.Increment);
            m[0] = key;
            return m;
        }
    }

    /// <summary>Takes the reply if it came; sends the next request or the retry (about one step in 30).</summary>
    public void Poll()
    {
        if (_pending is { } pending)
        {
            if (!pending.IsCompleted)
            {
                return;
            }
            _pending = null;
            DvsResult result = pending.Result;
            if (result.IsOk)
            {
                Acknowledged++;
                Assert.That(result.Message[0], Is.EqualTo(Acknowledged),
                    $"client {endpoint.Number}: reply {Acknowledged} counts the increments acknowledged (one executed twice or lost?)");
                _request = default;
            }
            else
            {
                Failures[result.Error] = Failures.GetValueOrDefault(result.Error) + 1;
                Assert.That(result.Error, Is.Not.EqualTo(DvsError.StateLost), $"client {endpoint.Number}: the state survived");
            }
        }
        if (Acknowledged == count)
        {
            return;
        }
        if (random.Next(30) != 0)
        {
            return;   // spread the calls over the migration
        }
        if (_request.Sequence != 0)
        {
            _pending = endpoint.RetrySendRecAsync(_request, Request, _callTimeout);
            return;
        }
        _pending = endpoint.SendRecAsync(server, Request, _callTimeout);
        _request = endpoint.LastRequest;
    }
}
