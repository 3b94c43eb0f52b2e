using Stack.Link.Time;

namespace Stack.Tcp.Sending;

/// <summary>
/// What the connection's delivery clock read when a segment left (Linux's tcp_skb_cb tx fields): bytes delivered
/// so far, when the last of them was, when the most recently delivered segment had left, and whether the sender
/// was application-limited then.
/// </summary>
public struct SendSnapshot
{
    public long Delivered;
    public Instant DeliveredAt;
    public Instant FirstSentAt;
    public bool AppLimited;
}

/// <summary>
/// One ACK's delivery rate sample (draft-cheng-iccrg-delivery-rate-estimation §3.3, Linux's struct rate_sample):
/// <see cref="Delivered"/> bytes over <see cref="Interval"/>, from the most recently sent segment this ACK
/// delivered. Invalid (<see cref="IsValid"/> false) when the ACK delivered nothing new or the interval is shorter
/// than the path's minimum RTT (an ACK compressed or stretched by the network, not a rate).
/// </summary>
public readonly record struct RateSample(
    long Delivered,
    TimeSpan Interval,
    bool AppLimited,
    long PriorDelivered,
    int AckedSacked,
    int Losses,
    int PriorInFlight,
    TimeSpan? Rtt)
{
    public bool IsValid => Interval > TimeSpan.Zero && Delivered > 0;

    /// <summary>Bytes per second, 0 for an invalid sample.</summary>
    public double BytesPerSecond => IsValid ? Delivered / Interval.TotalSeconds : 0;
}

/// <summary>
/// The sender's delivery clock (draft-cheng-iccrg-delivery-rate-estimation, Linux tcp_rate.c): bytes delivered,
/// stamped on every segment as it leaves and read back from the most recently sent one each ACK delivers, so an
/// ACK yields how fast the path delivered over the last round trip. Rate-based congestion control (BBR) runs on it.
/// </summary>
public sealed class DeliveryRate
{
    private long _delivered;
    private Instant _deliveredAt;
    private Instant _firstSentAt;
    private long _appLimitedUntil; // 0: not app-limited; else the delivered count that ends it (Linux app_limited).

    /// <summary>Back to the state of a new one, for a pooled connection's next life.</summary>
    internal void ResetToNew() => (_delivered, _deliveredAt, _firstSentAt, _appLimitedUntil) = (0, default, default, 0);

    /// <summary>Bytes (S)ACKed since the connection began (Linux tp->delivered, in bytes).</summary>
    public long Delivered => _delivered;

    /// <summary>Set while the samples say what the application offered, not what the path can carry.</summary>
    public bool IsAppLimited => _appLimitedUntil != 0;

    /// <summary>
    /// A segment leaves (first time or again: Linux tcp_rate_skb_sent). With nothing outstanding (Linux
    /// packets_out: sent and not cumulatively acknowledged, lost or not) the clock starts here, so an idle period
    /// is not counted as delivery time.
    /// </summary>
    public SendSnapshot OnSent(bool nothingOutstanding, Instant now)
    {
        if (nothingOutstanding)
        {
            _firstSentAt = now;
            _deliveredAt = now;
        }
        return new SendSnapshot
        {
            Delivered = _delivered, DeliveredAt = _deliveredAt, FirstSentAt = _firstSentAt, AppLimited = IsAppLimited,
        };
    }

    /// <summary>
    /// The sender ran out of data to send while cwnd had room (Linux tcp_rate_check_app_limited): samples until
    /// what is in flight now is delivered measure the application.
    /// </summary>
    public void OnApplicationLimited(int pipe) => _appLimitedUntil = Math.Max(_delivered + pipe, 1);

    /// <summary>
    /// After an ACK is taken (Linux tcp_rate_gen): the clock moves on by what it delivered, and the sample runs
    /// from the newest segment delivered — the longer of its send and ACK intervals, so neither a burst sent
    /// faster than the path nor ACKs compressed on the way back inflate the rate.
    /// </summary>
    public RateSample OnAck(in AckSample ack, int losses, TimeSpan? minRtt, Instant now)
    {
        int delivered = ack.Delivered;
        _delivered += delivered;
        if (delivered > 0)
        {
            // Only a delivery moves the clock (Linux tcp_rate_gen: "if (delivered) tp->delivered_mstamp = ..."): a
            // duplicate ACK that delivers nothing must not shorten the ACK interval of the segments sent after it.
            _deliveredAt = now;
        }
        if (_appLimitedUntil != 0 && _delivered > _appLimitedUntil)
        {
            _appLimitedUntil = 0;
        }
        DeliveredSegment newest = ack.Newest;
        TimeSpan? rtt = ack.NewestOriginal.Found ? now - ack.NewestOriginal.SentAt : null;
        if (!newest.Found || delivered == 0)
        {
            return new RateSample(0, TimeSpan.Zero, IsAppLimited, 0, delivered, losses, ack.PriorInFlight, rtt);
        }
        SendSnapshot tx = newest.Tx;
        _firstSentAt = newest.SentAt; // The next segments' send interval starts where this one left.
        TimeSpan sendInterval = newest.SentAt - tx.FirstSentAt;
        TimeSpan ackInterval = now - tx.DeliveredAt;
        TimeSpan interval = sendInterval > ackInterval ? sendInterval : ackInterval;
        if (minRtt is { } floor && interval < floor)
        {
            interval = TimeSpan.Zero; // Shorter than a round trip: not a rate (Linux: rs->interval_us = -1).
        }
        return new RateSample(_delivered - tx.Delivered, interval, tx.AppLimited, tx.Delivered, delivered, losses,
            ack.PriorInFlight, rtt);
    }
}
