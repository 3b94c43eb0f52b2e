using Stack.Link.Time;

namespace Stack.Tcp.Congestion;

/// <summary>
/// RFC 5681 slow start (by every byte acknowledged, as Linux) and congestion avoidance with byte counting
/// (RFC 3465), halving on loss. NewReno's fast recovery (RFC 6582) is the
/// connection's: it inflates the window on duplicate ACKs on top of <see cref="Cwnd"/>.
/// </summary>
public sealed class NewReno : ICongestionControl
{
    internal const int MaxWindow = 1 << 30;

    private int _mss = 536;
    private int _bytesAcked;

    public int Cwnd { get; set; } = MaxWindow;
    public int Ssthresh { get; private set; } = MaxWindow;

    public void Start(int mss, int initialWindowSegments)
    {
        _mss = mss;
        Cwnd = Math.Max(1, initialWindowSegments) * mss;
        Ssthresh = MaxWindow;
        _bytesAcked = 0;
    }

    /// <summary>Back to the state of a new one, for a pooled connection's next life.</summary>
    internal void ResetToNew()
    {
        (_mss, _bytesAcked) = (536, 0);
        (Cwnd, Ssthresh) = (MaxWindow, MaxWindow);
    }

    public void SetMss(int mss) => _mss = mss;

    public void OnAck(int acked, TimeSpan? srtt, Instant now)
    {
        if (Cwnd < Ssthresh)
        {
            acked = SlowStart(Cwnd, Ssthresh, acked, out int grown);
            Cwnd = grown;
            if (acked == 0)
            {
                return;
            }
        }
        // Congestion avoidance: one SMSS per cwnd of bytes acknowledged (RFC 5681 §3.1, eq. 3's byte-counting form).
        _bytesAcked += acked;
        if (_bytesAcked >= Cwnd)
        {
            _bytesAcked -= Cwnd;
            Cwnd = Math.Min(Cwnd + _mss, MaxWindow);
        }
    }

    /// <summary>
    /// Slow start as Linux's tcp_slow_start: cwnd grows by every byte acknowledged, up to ssthresh, and what is
    /// left over goes on to congestion avoidance (returned). RFC 5681 §3.1 bounds the growth to one SMSS per ACK
    /// and RFC 3465 to two; Linux does not, and a receiver that compresses its SACKs (Linux acknowledges many
    /// segments with one ACK under loss) would otherwise hold slow start back after every timeout.
    /// </summary>
    internal static int SlowStart(int cwnd, int ssthresh, int acked, out int grown)
    {
        long next = Math.Min((long)cwnd + acked, Math.Min(ssthresh, MaxWindow));
        grown = (int)Math.Max(next, cwnd);
        return acked - (grown - cwnd);
    }

    public void OnCongestionEvent(int flight, Instant now)
    {
        Ssthresh = Math.Max(flight / 2, 2 * _mss); // RFC 5681 eq. (4)
        Cwnd = Ssthresh;
        _bytesAcked = 0;
    }

    public void OnRecoveryEnd(Instant now) => Cwnd = Ssthresh;

    public void OnTimeout(int flight, Instant now)
    {
        Ssthresh = Math.Max(flight / 2, 2 * _mss);
        Cwnd = _mss; // The loss window (RFC 5681 §3.1).
        _bytesAcked = 0;
    }

    public void Undo(int priorCwnd, int priorSsthresh)
    {
        Cwnd = Math.Max(Cwnd, priorCwnd); // Linux tcp_reno_undo_cwnd
        Ssthresh = Math.Max(Ssthresh, priorSsthresh);
    }

    public void Restart(int cwnd, int ssthresh)
    {
        Cwnd = cwnd;
        Ssthresh = ssthresh;
    }

    public void OnTransmitStart(TimeSpan idle, Instant now)
    {
    }
}
