namespace Stack.Link.Time;

/// <summary>
/// A token bucket on the injected clock: up to <see cref="Burst"/> at once, then <see cref="RatePerSecond"/>,
/// so in any span of t seconds at most Burst + RatePerSecond·t are taken. It starts full. Used for ICMP errors
/// (RFC 1812 §4.3.2.8, RFC 4443 §2.4(f); Linux icmp_msgs_per_sec 1000, icmp_msgs_burst 50, the defaults here)
/// and for TCP's RSTs to segments for no connection.
/// </summary>
public sealed class TokenBucket
{
    private double _tokens;
    private Instant _last;

    public TokenBucket(int ratePerSecond = 1000, int burst = 50)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(ratePerSecond);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(burst);
        RatePerSecond = ratePerSecond;
        Burst = burst;
        _tokens = burst;
    }

    public int RatePerSecond { get; }

    public int Burst { get; }

    /// <summary>Takes a token if there is one; false means the caller should not send.</summary>
    public bool TryTake(Instant now)
    {
        double elapsed = Math.Max(0, (now - _last).TotalSeconds);
        _last = now;
        _tokens = Math.Min(Burst, _tokens + elapsed * RatePerSecond);
        if (_tokens < 1) return false;
        _tokens -= 1;
        return true;
    }
}
