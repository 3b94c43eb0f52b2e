using Stack.Link.Time;

namespace Stack.Tcp.Rto;

/// <summary>
/// The retransmission timeout of one connection (RFC 6298): smoothed RTT, RTT variance, the RTO derived from
/// them, exponential backoff, and the one-segment-at-a-time timing that Karn's rule needs.
/// </summary>
/// <remarks>
/// <para>Settings are init-only properties, e.g. <c>new RtoEstimator { MinRto = TimeSpan.FromSeconds(1) }</c>.</para>
/// <para><see cref="MinRto"/> defaults to 200 ms, as Linux does (TCP_RTO_MIN). RFC 6298 §2.4 says an RTO below 1 s
/// SHOULD be rounded up to 1 s; that is conservative for LANs and virtual links, where RTTs are well under a
/// millisecond, so we follow Linux and let a caller who wants the RFC value set <c>MinRto = 1 s</c>.</para>
/// <para><see cref="MaxRto"/> defaults to 120 s (Linux TCP_RTO_MAX); RFC 6298 §2.5 allows any maximum ≥ 60 s.</para>
/// <para>Usage by the connection: call <see cref="StartTiming"/> when sending new data while nothing is timed,
/// <see cref="OnRetransmit"/> whenever anything is retransmitted, <see cref="OnAck(SeqNum, Instant)"/> for each acceptable ACK,
/// <see cref="Backoff"/> when the retransmission timer expires, and arm the timer for <c>now + Rto</c>.
/// With RFC 7323 timestamps, feed <see cref="SampleFromTimestamp(TimeSpan, int)"/> instead and skip the timing calls.</para>
/// </remarks>
public sealed partial class RtoEstimator
{
    // RFC 6298 §2: alpha = 1/8, beta = 1/4, K = 4.
    private const int K = 4;

    private long _srttTicks;
    private long _rttvarTicks;
    private bool _hasSample;
    private TimeSpan _initialOverride;

    private bool _timing;
    private SeqNum _timedEnd;
    private Instant _timedAt;

    private TimeSpan _initialRto = TimeSpan.FromSeconds(1);
    private TimeSpan _minRto = TimeSpan.FromMilliseconds(200);
    private TimeSpan _maxRto = TimeSpan.FromSeconds(120);
    private RtoFormula _formula = RtoFormula.Rfc6298;
    private TimeSpan _granularity = DefaultGranularity;
    private static readonly TimeSpan DefaultGranularity = TimeSpan.FromMilliseconds(1);

    /// <summary>RTO before any RTT sample (RFC 6298 §2.1: 1 s).</summary>
    public TimeSpan InitialRto { get => _initialRto; init => _initialRto = value; }

    /// <summary>Lower bound of the RTO. Default 200 ms (Linux); RFC 6298 §2.4 recommends 1 s.</summary>
    public TimeSpan MinRto { get => _minRto; init => _minRto = value; }

    /// <summary>Upper bound of the RTO, backoff included. Default 120 s (Linux TCP_RTO_MAX).</summary>
    public TimeSpan MaxRto { get => _maxRto; init => _maxRto = value; }

    /// <summary>Clock granularity G of RFC 6298 §2: the least variance term. Default 1 ms.</summary>
    public TimeSpan Granularity { get => _granularity; init => _granularity = value; }

    /// <summary>Which formula turns samples into the RTO: RFC 6298's (the default here) or Linux's.</summary>
    public RtoFormula Formula { get => _formula; init => _formula = value; }

    /// <summary>
    /// Back to the state of a new estimator with these settings (the default granularity), for a pooled
    /// connection's next life.
    /// </summary>
    internal void ResetToNew(TimeSpan initialRto, TimeSpan minRto, TimeSpan maxRto, RtoFormula formula)
    {
        (_initialRto, _minRto, _maxRto, _formula, _granularity) = (initialRto, minRto, maxRto, formula, DefaultGranularity);
        (_srttTicks, _rttvarTicks, _hasSample, _initialOverride) = (0, 0, false, default);
        (_timing, _timedEnd, _timedAt, _linux) = (false, default, default, default);
        BackoffCount = 0;
    }

    /// <summary>SRTT, or null before the first sample.</summary>
    public TimeSpan? SmoothedRtt => !_hasSample ? null
        : Formula == RtoFormula.Linux ? Microseconds(_linux.Srtt8 >> 3) : TimeSpan.FromTicks(_srttTicks);

    /// <summary>RTTVAR, or null before the first sample (with Linux's formula its mdev, as tcpi_rttvar).</summary>
    public TimeSpan? RttVariance => !_hasSample ? null
        : Formula == RtoFormula.Linux ? Microseconds(_linux.Mdev4 >> 2) : TimeSpan.FromTicks(_rttvarTicks);

    /// <summary>
    /// How many times <see cref="Backoff"/> was called since the last reset. It keeps counting after the RTO has
    /// reached <see cref="MaxRto"/>, so the connection can use it as its retransmission count (RFC 9293 R1/R2).
    /// </summary>
    public int BackoffCount { get; private set; }

    /// <summary>True while a segment is being timed.</summary>
    public bool IsTiming => _timing;

    /// <summary>The RTO without backoff, clamped to [MinRto, MaxRto] (RFC 6298 §2.2–2.5).</summary>
    public TimeSpan BaseRto
    {
        get
        {
            long ticks = !_hasSample ? (_initialOverride > InitialRto ? _initialOverride : InitialRto).Ticks
                : Formula == RtoFormula.Linux ? LinuxRto.Ticks
                : _srttTicks + Math.Max(Granularity.Ticks, K * _rttvarTicks);
            return TimeSpan.FromTicks(Math.Clamp(ticks, MinRto.Ticks, Math.Max(MinRto.Ticks, MaxRto.Ticks)));
        }
    }

    /// <summary>The current RTO: <see cref="BaseRto"/> doubled once per backoff, at most <see cref="MaxRto"/>.</summary>
    public TimeSpan Rto
    {
        get
        {
            long baseTicks = BaseRto.Ticks;
            long max = Math.Max(baseTicks, MaxRto.Ticks);
            int shift = BackoffCount;
            if (shift >= 62 || baseTicks > max >> shift)
            {
                return TimeSpan.FromTicks(max);
            }
            return TimeSpan.FromTicks(Math.Min(max, baseTicks << shift));
        }
    }

    /// <summary>
    /// Feeds one RTT measurement R (RFC 6298 §2.2–2.3). The first sets SRTT = R, RTTVAR = R/2; later ones set
    /// RTTVAR = 3/4·RTTVAR + 1/4·|SRTT − R| and then SRTT = 7/8·SRTT + 1/8·R. A valid sample also ends any
    /// backoff: the RTO is computed afresh from it (§5.7 keeps the backed-off value only until then).
    /// </summary>
    public void AddSample(TimeSpan rtt) => AddSample(rtt, default, default, newRound: true);

    /// <summary>
    /// Feeds one RTT measurement taken on an ACK to <paramref name="sndUna"/> while <paramref name="sndNxt"/> was
    /// the next to send: Linux's formula keeps its variance maximum per round trip of data, told by these.
    /// </summary>
    public void AddSample(TimeSpan rtt, SeqNum sndUna, SeqNum sndNxt) => AddSample(rtt, sndUna, sndNxt, newRound: false);

    private void AddSample(TimeSpan rtt, SeqNum sndUna, SeqNum sndNxt, bool newRound)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rtt, TimeSpan.Zero);
        if (Formula == RtoFormula.Linux)
        {
            LinuxSample(rtt, sndUna, sndNxt, newRound);
            return;
        }
        long r = rtt.Ticks;
        if (!_hasSample)
        {
            _srttTicks = r;
            _rttvarTicks = r / 2;
            _hasSample = true;
        }
        else
        {
            _rttvarTicks = (3 * _rttvarTicks + Math.Abs(_srttTicks - r)) / 4;
            _srttTicks = (7 * _srttTicks + r) / 8;
        }
        BackoffCount = 0;
    }

    /// <summary>
    /// Feeds an RTT measured from an echoed RFC 7323 timestamp (TSecr). Timestamps name the transmission they
    /// echo, so Karn's rule does not apply and retransmitted segments may be sampled too. Returns false (and
    /// ignores the value) when it is negative, which only a broken or hostile peer produces.
    /// </summary>
    /// <remarks>
    /// With one sample per ACK there are many per round trip, so RFC 7323 Appendix G divides the gains by
    /// <paramref name="expectedSamples"/> = ceil(FlightSize / (2·SMSS)) (ACKs expected per flight): alpha' =
    /// 1/8 / n and beta' = 1/4 / n, and SRTT and RTTVAR move about as fast per round trip as with one sample.
    /// </remarks>
    public bool SampleFromTimestamp(TimeSpan rtt, int expectedSamples = 1) =>
        SampleFromTimestamp(rtt, default, default, expectedSamples, newRound: true);

    /// <summary>
    /// <see cref="SampleFromTimestamp(TimeSpan, int)"/> on an ACK to <paramref name="sndUna"/> with
    /// <paramref name="sndNxt"/> next to send (see <see cref="AddSample(TimeSpan, SeqNum, SeqNum)"/>). Linux's formula
    /// takes every sample at full gain (tcp_ack_update_rtt) and ignores <paramref name="expectedSamples"/>.
    /// </summary>
    public bool SampleFromTimestamp(TimeSpan rtt, SeqNum sndUna, SeqNum sndNxt, int expectedSamples) =>
        SampleFromTimestamp(rtt, sndUna, sndNxt, expectedSamples, newRound: false);

    private bool SampleFromTimestamp(TimeSpan rtt, SeqNum sndUna, SeqNum sndNxt, int expectedSamples, bool newRound)
    {
        if (rtt < TimeSpan.Zero)
        {
            return false;
        }
        if (expectedSamples <= 1 || !_hasSample || Formula == RtoFormula.Linux)
        {
            AddSample(rtt, sndUna, sndNxt, newRound);
            return true;
        }
        long r = rtt.Ticks;
        long n = expectedSamples;
        _rttvarTicks += (Math.Abs(_srttTicks - r) - _rttvarTicks) / (4 * n);
        _srttTicks += (r - _srttTicks) / (8 * n);
        BackoffCount = 0;
        return true;
    }

    /// <summary>Doubles the RTO (RFC 6298 §5.5), up to <see cref="MaxRto"/>; call when the timer expires.</summary>
    public void Backoff()
    {
        if (BackoffCount < int.MaxValue)
        {
            BackoffCount++;
        }
    }

    /// <summary>Drops any backoff, returning to <see cref="BaseRto"/>.</summary>
    public void ResetBackoff() => BackoffCount = 0;

    /// <summary>
    /// RFC 6298 §5.7: when the SYN (or SYN-ACK) timed out and no RTT has been measured, the RTO for data starts at
    /// 3 s instead of the initial 1 s. Call when the connection becomes established after such a timeout.
    /// </summary>
    public void OnSynTimedOut()
    {
        _initialOverride = TimeSpan.FromSeconds(3);
        BackoffCount = 0;
    }

    /// <summary>
    /// Starts timing a segment just sent, identified by <paramref name="segmentEnd"/> = SEG.SEQ + SEG.LEN (SYN and
    /// FIN included), the acknowledgment number that will cover it. Only one segment is timed at once: returns
    /// false and keeps the current timing if one is in progress.
    /// </summary>
    public bool StartTiming(SeqNum segmentEnd, Instant now)
    {
        if (_timing)
        {
            return false;
        }
        _timing = true;
        _timedEnd = segmentEnd;
        _timedAt = now;
        return true;
    }

    /// <summary>
    /// Handles an acceptable ACK: if it covers the timed segment (ack ≥ its end), takes now − sent as an RTT
    /// sample, stops timing and returns true. The caller must already have checked SND.UNA &lt; ack ≤ SND.NXT.
    /// </summary>
    public bool OnAck(SeqNum ack, Instant now) => OnAck(ack, ack, now);

    /// <summary><see cref="OnAck(SeqNum, Instant)"/> with SND.NXT for Linux's per-round variance.</summary>
    public bool OnAck(SeqNum ack, SeqNum sndNxt, Instant now)
    {
        if (!_timing || ack < _timedEnd)
        {
            return false;
        }
        _timing = false;
        TimeSpan rtt = now - _timedAt;
        if (rtt < TimeSpan.Zero)
        {
            return false;
        }
        AddSample(rtt, ack, sndNxt);
        return true;
    }

    /// <summary>
    /// Karn's rule (RFC 6298 §3): an ACK after a retransmission cannot tell which transmission it answers, so
    /// retransmitting cancels the timing in progress. The next new segment sent may be timed.
    /// </summary>
    public void OnRetransmit() => _timing = false;
}
