namespace Dvs.Transport;

/// <summary>
/// Round-trip estimate and retransmission timeout after RFC 6298 (SRTT, RTTVAR, RTO = SRTT +
/// max(G, 4 RTTVAR)), clamped to [min, max]. Times in ticks (100 ns). Not thread-safe.
/// </summary>
internal struct RttEstimator
{
    // G of RFC 6298: the clock granularity; 100 us is below any loopback round trip we measured.
    private const long Granularity = TimeSpan.TicksPerMillisecond / 10;
    private readonly long _min;
    private readonly long _max;
    private long _srtt;
    private long _rttvar;

    public RttEstimator(long initialRto, long minRto, long maxRto)
    {
        _min = minRto;
        _max = maxRto;
        Rto = Math.Clamp(initialRto, minRto, maxRto);
    }

    public long Rto { get; private set; }

    public readonly long SmoothedRtt => _srtt;

    public readonly bool HasSample => _srtt > 0;

    public void AddSample(long rtt)
    {
        if (rtt <= 0)
        {
            rtt = 1;
        }
        if (_srtt == 0)
        {
            _srtt = rtt;
            _rttvar = rtt / 2;
        }
        else
        {
            _rttvar = (3 * _rttvar + Math.Abs(_srtt - rtt)) / 4;
            _srtt = (7 * _srtt + rtt) / 8;
        }
        Rto = Math.Clamp(_srtt + Math.Max(Granularity, 4 * _rttvar), _min, _max);
    }

    /// <summary>Timeout before retransmission number <paramref name="retries"/> + 1: doubled per
    /// retry, bounded by the maximum.</summary>
    public readonly long Backoff(int retries)
    {
        long rto = Rto;
        for (int i = 0; i < retries && rto < _max; i++)
        {
            rto <<= 1;
        }
        return Math.Min(rto, _max);
    }
}
