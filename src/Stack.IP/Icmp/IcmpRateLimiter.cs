using Stack.Link.Time;

namespace Stack.IP.Icmp;

/// <summary>
/// A token bucket for ICMP errors (RFC 1812 §4.3.2.8, RFC 4443 §2.4(f)): a burst, then a steady rate.
/// Defaults follow Linux (icmp_ratelimit 1000 ms / 1000 tokens, burst 50).
/// </summary>
public sealed class IcmpRateLimiter(int ratePerSecond = 1000, int burst = 50)
{
    private double _tokens = burst;
    private Instant _last;

    public bool TryTake(Instant now)
    {
        double elapsed = Math.Max(0, (now - _last).TotalSeconds);
        _last = now;
        _tokens = Math.Min(burst, _tokens + elapsed * ratePerSecond);
        if (_tokens < 1) return false;
        _tokens -= 1;
        return true;
    }
}
