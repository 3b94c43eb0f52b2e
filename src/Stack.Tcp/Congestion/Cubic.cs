using Stack.Link.Time;

namespace Stack.Tcp.Congestion;

/// <summary>
/// CUBIC (RFC 9438): after a loss the window grows as W(t) = C·(t − K)³ + W_max, concave up to the window at
/// the last loss and convex beyond it, independent of the RTT; never slower than the Reno-friendly estimate
/// (§4.3). Multiplicative decrease by β = 0.7, with fast convergence (§4.7). Slow start as NewReno.
/// </summary>
public sealed class Cubic : ICongestionControl
{
    private const double C = 0.4;
    private const double Beta = 0.7;
    private static readonly double AlphaReno = 3 * (1 - Beta) / (1 + Beta); // RFC 9438 §4.3

    private int _mss = 536;
    private double _wMax;       // segments
    private double _k;          // seconds
    private double _wEst;       // segments: the Reno-friendly window
    private double _cwndSegments;
    private Instant _epochStart = Instant.Never;
    private double _wMaxBefore; // W_max before the last congestion event, for an undo (RFC 9438 §4.9).

    public int Cwnd { get; set; } = NewReno.MaxWindow;
    public int Ssthresh { get; private set; } = NewReno.MaxWindow;

    public void Start(int mss, int initialWindowSegments)
    {
        _mss = mss;
        Cwnd = Math.Max(1, initialWindowSegments) * mss;
        Ssthresh = NewReno.MaxWindow;
        _wMax = 0;
        _epochStart = Instant.Never;
    }

    public void SetMss(int mss) => _mss = mss;

    public void OnAck(int acked, TimeSpan? srtt, Instant now)
    {
        if (Cwnd < Ssthresh)
        {
            acked = NewReno.SlowStart(Cwnd, Ssthresh, acked, out int grown);
            Cwnd = grown;
            if (acked == 0)
            {
                return;
            }
        }
        double cwnd = (double)Cwnd / _mss;
        if (_epochStart == Instant.Never)
        {
            // The first congestion-avoidance ACK of an epoch (§4.2): after slow start W_max is the window now.
            _epochStart = now;
            _cwndSegments = cwnd;
            _wEst = cwnd;
            if (_wMax < cwnd)
            {
                _wMax = cwnd;
                _k = 0;
            }
            else
            {
                _k = Math.Cbrt((_wMax - cwnd) / C);
            }
        }
        double rtt = (srtt ?? TimeSpan.FromMilliseconds(100)).TotalSeconds;
        double t = (now - _epochStart).TotalSeconds + rtt;
        double target = C * Math.Pow(t - _k, 3) + _wMax;             // W_cubic(t + RTT), eq. (1)
        target = Math.Clamp(target, cwnd, 1.5 * cwnd);                // §4.4: at most 1.5·cwnd
        double segmentsAcked = (double)acked / _mss;
        _wEst += AlphaReno * segmentsAcked / cwnd;                    // eq. (4)
        double next = _wEst > target ? _wEst : cwnd + (target - cwnd) / cwnd * segmentsAcked;
        _cwndSegments = Math.Max(next, cwnd);
        Cwnd = (int)Math.Min(_cwndSegments * _mss, NewReno.MaxWindow);
    }

    public void OnCongestionEvent(int flight, Instant now)
    {
        double cwnd = (double)Cwnd / _mss;
        _wMaxBefore = _wMax;
        _wMax = cwnd < _wMax ? cwnd * (1 + Beta) / 2 : cwnd; // Fast convergence (§4.7).
        // RFC 9438 §4.6 multiplies the flight size; Linux (bictcp_recalc_ssthresh) multiplies cwnd, by 717/1024.
        // We follow Linux: a flight inflated past cwnd by SACKed segments is no measure of the path.
        Ssthresh = Math.Max((int)((long)Cwnd * 717 / 1024), 2 * _mss);
        Cwnd = Ssthresh;
        _epochStart = Instant.Never;
    }

    public void OnRecoveryEnd(Instant now) => Cwnd = Ssthresh;

    public void OnTimeout(int flight, Instant now)
    {
        OnCongestionEvent(flight, now);
        Cwnd = _mss;
    }

    public void Undo(int priorCwnd, int priorSsthresh)
    {
        // RFC 9438 §4.9: a spurious congestion event restores the state from before it.
        Cwnd = Math.Max(Cwnd, priorCwnd);
        Ssthresh = Math.Max(Ssthresh, priorSsthresh);
        _wMax = Math.Max(_wMax, _wMaxBefore);
        _epochStart = Instant.Never;
    }

    public void Restart(int cwnd, int ssthresh)
    {
        Cwnd = cwnd;
        Ssthresh = ssthresh;
    }

    /// <summary>
    /// Linux cubictcp_cwnd_event (CA_EVENT_TX_START): the application left the connection idle; the epoch moves
    /// on by the idle time so that the cubic curve resumes where it stood, not where time alone would put it.
    /// </summary>
    public void OnTransmitStart(TimeSpan idle, Instant now)
    {
        if (_epochStart != Instant.Never && idle > TimeSpan.Zero)
        {
            _epochStart += idle;
            if (_epochStart > now)
            {
                _epochStart = now;
            }
        }
    }
}
