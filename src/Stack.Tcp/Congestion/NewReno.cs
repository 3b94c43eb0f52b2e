using Stack.Link.Time;

namespace Stack.Tcp.Congestion;

/// <summary>
/// RFC 5681 slow start and congestion avoidance with byte counting (RFC 3465, L = 2·SMSS so that delayed
/// ACKs still double the window each round trip), halving on loss. NewReno's fast recovery (RFC 6582) is the
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

    public void SetMss(int mss) => _mss = mss;

    public void OnAck(int acked, TimeSpan? srtt, Instant now)
    {
        if (Cwnd < Ssthresh)
        {
            Cwnd = (int)Math.Min((long)Cwnd + Math.Min(acked, 2 * _mss), MaxWindow); // RFC 5681 §3.1 (2), RFC 3465
            return;
        }
        // Congestion avoidance: one SMSS per cwnd of bytes acknowledged (RFC 5681 §3.1, eq. 3's byte-counting form).
        _bytesAcked += acked;
        if (_bytesAcked >= Cwnd)
        {
            _bytesAcked -= Cwnd;
            Cwnd = Math.Min(Cwnd + _mss, MaxWindow);
        }
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
}
