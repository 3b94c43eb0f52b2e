using Stack.Link.Time;

namespace Stack.Tcp.Sending;

/// <summary>
/// Spreads a connection's segments out at a rate (Linux's internal TCP pacing, tcp_wstamp_ns): each segment
/// moves the earliest departure of the next one on by its length over the rate. A segment may leave up to
/// <see cref="Horizon"/> ahead of its schedule, so the connection sends about a millisecond at a time — what
/// Linux's TSO autosizing sends per burst, and what an event loop that sleeps in whole milliseconds can keep.
/// A mutable struct for a field of the connection; <c>default</c> lets everything go.
/// </summary>
public struct Pacer
{
    /// <summary>How far ahead of its departure time a segment may go.</summary>
    public static readonly TimeSpan Horizon = TimeSpan.FromMilliseconds(1);

    private Instant _next;

    /// <summary>When the next segment is due by the rate.</summary>
    public readonly Instant NextDeparture => _next;

    /// <summary>True when a segment may leave at <paramref name="now"/>.</summary>
    public readonly bool MaySend(Instant now) => _next <= now + Horizon;

    /// <summary>When to look again after <see cref="MaySend"/> said no.</summary>
    public readonly Instant WakeAt => _next - Horizon;

    /// <summary><paramref name="bytes"/> left at <paramref name="now"/>, paced at <paramref name="bytesPerSecond"/> (0: not paced).</summary>
    /// <summary>
    /// Linux tcp_update_skb_after_send, the departure times under the fq qdisc: as <see cref="OnSent"/>, but a
    /// segment that leaves after its scheduled time takes the delay as credit, up to half its own time
    /// ("take into account OS jitter"). A rate of 0 or infinity does not pace this segment.
    /// </summary>
    public void OnSentWithCredit(int bytes, double bytesPerSecond, Instant now)
    {
        Instant prior = _next;
        Instant from = _next > now ? _next : now;
        if (bytesPerSecond <= 0 || double.IsInfinity(bytesPerSecond))
        {
            _next = from;
            return;
        }
        long length = (long)(bytes / bytesPerSecond * TimeSpan.TicksPerSecond);
        long credit = (from - prior).Ticks;
        length -= Math.Min(length / 2, Math.Max(0, credit));
        _next = from + TimeSpan.FromTicks(length);
    }

    public void OnSent(int bytes, double bytesPerSecond, Instant now)
    {
        if (bytesPerSecond <= 0)
        {
            _next = now;
            return;
        }
        Instant from = _next > now ? _next : now; // No credit for time spent idle.
        _next = from + TimeSpan.FromTicks((long)(bytes / bytesPerSecond * TimeSpan.TicksPerSecond));
    }
}
