using Stack.Link.Time;

namespace Stack.Tcp;

/// <summary>
/// The layer-wide budget of challenge ACKs (Linux tcp_send_challenge_ack, net.ipv4.tcp_challenge_ack_limit):
/// whenever the second changes, a new budget is drawn uniformly from [⌈limit/2⌉, limit + ⌈limit/2⌉ − 1], so its
/// mean is the limit but an attacker counting challenge ACKs cannot tell how many went to others (the fix for
/// CVE-2016-5696). Seconds are whole seconds of the injected clock, as Linux's are jiffies / HZ.
/// </summary>
internal sealed class ChallengeAckBudget(int? limit, Random random)
{
    private long _second = long.MinValue;
    private long _left;

    public bool TryTake(Instant now)
    {
        if (limit is not int l || l == int.MaxValue)
        {
            return true; // Linux: INT_MAX turns the budget off.
        }
        long second = now.Microseconds / 1_000_000;
        if (second != _second)
        {
            _second = second;
            long half = ((long)l + 1) >> 1;
            _left = random.NextInt64(half, l + half); // Upper bound exclusive: l + half − 1 at most.
        }
        if (_left <= 0)
        {
            return false;
        }
        _left--;
        return true;
    }
}
