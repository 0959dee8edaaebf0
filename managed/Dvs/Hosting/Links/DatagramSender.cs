using System.Runtime.CompilerServices;
using Dvs.Transport;
using Microsoft.Extensions.Logging;

namespace Dvs.Hosting.Links;

/// <summary>
/// The one way out to the network: the sender loop (frames, bulk frames) and the receiver loop
/// (acks) both send, and the channel takes one batch at a time. A failed send is the sessions'
/// business (retransmission, then peer down), not an error here.
/// </summary>
internal sealed unsafe class DatagramSender
{
    private readonly IDatagramChannel _channel;
    private readonly ulong* _counters;
    private readonly ILogger _log;
    private readonly Lock _lock = new();

    public DatagramSender(IDatagramChannel channel, ulong* counters, ILogger log)
    {
        _channel = channel;
        _counters = counters;
        _log = log;
    }

    /// <summary>Sends a batch of datagrams (one sendmmsg), counts them and clears it. Any thread.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Send(DatagramBatch batch)
    {
        int count = batch.Count;
        if (count == 0)
        {
            return;
        }
        long bytes = 0;
        for (int i = 0; i < count; i++)
        {
            bytes += batch[i].Length;
        }
        try
        {
            lock (_lock)
            {
                _channel.Send(batch);
            }
        }
        catch (Exception e) when (e is System.Net.Sockets.SocketException or DvsException)
        {
            _log.LogDebug(e, "send failed");
        }
        Interlocked.Add(ref *(long*)&_counters[(int)NodeCounter.FramesSent], count);
        Interlocked.Add(ref *(long*)&_counters[(int)NodeCounter.BytesSent], bytes);
        batch.Clear();
    }
}
