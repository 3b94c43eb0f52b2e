using Stack.Link.Time;

namespace Stack.Tcp.Congestion;

/// <summary>
/// CUBIC as Linux computes it (tcp_cubic.c, RFC 9438's algorithm in fixed point): after a loss the window
/// follows W(t) = C·(t − K)³ + W_max in whole segments and jiffies (1 ms), with cube roots from Linux's table,
/// growth spread over <c>cnt</c> ACKed segments (tcp_cong_avoid_ai), the Reno-friendly estimate and, in slow
/// start, HyStart (<see cref="CubicHyStart"/>). β = 717/1024 of cwnd with fast convergence. Sizes outside are
/// bytes; the algorithm counts segments, as Linux's snd_cwnd does.
/// </summary>
public sealed class Cubic : ICongestionControl
{
    private const int BetaScale = 1024;
    private const int Beta = 717;                       // Linux beta: 717/1024
    private const int BicScale = 41;                    // Linux bic_scale: C = 41/1024 · 10 ≈ 0.4
    private const int BicHz = 10;                       // time in 1/1024 s inside the cubic function
    private const uint CubeRttScale = BicScale * 10;    // Linux cube_rtt_scale
    private const ulong CubeFactor = (1UL << (10 + 3 * BicHz)) / (BicScale * 10); // Linux cube_factor
    private const uint FriendlyScale = 8 * (BetaScale + Beta) / 3 / (BetaScale - Beta); // Linux beta_scale = 15

    private int _mss = 536;
    private uint _cnt;              // cwnd grows by one segment per _cnt segments ACKed
    private uint _cwndCnt;          // Linux snd_cwnd_cnt
    private uint _lastMaxCwnd;      // W_max, segments
    private uint _lastCwnd;
    private long _lastTime;         // jiffies (ms)
    private uint _originPoint;
    private uint _bicK;             // 1/1024 s
    private bool _inEpoch;
    private long _epochStart;       // jiffies (ms)
    private uint _ackCnt;
    private uint _tcpCwnd;          // the Reno-friendly estimate, segments
    private readonly CubicHyStart _hystart = new();

    public int Cwnd { get; set; } = NewReno.MaxWindow;
    public int Ssthresh { get; private set; } = NewReno.MaxWindow;

    /// <summary>The ACK-train and delay detectors of slow start (Linux's hystart and hystart_detect).</summary>
    public CubicHyStart HyStart => _hystart;

    /// <summary>Segments ACKed per segment of growth in congestion avoidance (Linux ca->cnt).</summary>
    public uint GrowthCount => _cnt;

    /// <summary>The window at the last loss, segments (Linux last_max_cwnd).</summary>
    public uint LastMaxCwnd => _lastMaxCwnd;

    /// <summary>The time from the epoch's start to the plateau, in 1/1024 s (Linux bic_K).</summary>
    public uint K => _bicK;

    public void Start(int mss, int initialWindowSegments)
    {
        _mss = mss;
        Cwnd = Math.Max(1, initialWindowSegments) * mss;
        Ssthresh = NewReno.MaxWindow;
        Reset();
        _hystart.Reset(null, Instant.Never);
    }

    /// <summary>Back to the state of a new one, for a pooled connection's next life.</summary>
    internal void ResetToNew()
    {
        (_mss, _cwndCnt, _epochStart) = (536, 0, 0);
        (Cwnd, Ssthresh) = (NewReno.MaxWindow, NewReno.MaxWindow);
        Reset();
        _hystart.ResetToNew();
    }

    public void SetMss(int mss) => _mss = mss;

    private uint CwndSegments => (uint)Math.Max(1, Cwnd / _mss);

    /// <summary>Linux bictcp_reset: everything but ssthresh and cwnd.</summary>
    private void Reset()
    {
        _cnt = 0;
        _lastMaxCwnd = 0;
        _lastCwnd = 0;
        _lastTime = 0;
        _originPoint = 0;
        _bicK = 0;
        _inEpoch = false;
        _ackCnt = 0;
        _tcpCwnd = 0;
        _hystart.ForgetDelayMin();
    }

    /// <summary>
    /// Linux cubictcp_acked: one ACK's RTT sample (of the newest segment it delivered) feeds the minimum delay
    /// and, in slow start, HyStart, which may end slow start by setting ssthresh to cwnd. Call before
    /// <see cref="OnAck"/>, as Linux's pkts_acked precedes cong_avoid.
    /// </summary>
    public void OnRttSample(TimeSpan? rtt, SeqNum sndUna, SeqNum sndNxt, double pacingRate, Instant now)
    {
        if (rtt is not { } r || r < TimeSpan.Zero)
        {
            return;
        }
        // Discard delay samples right after a reduction (the first second of the epoch).
        if (_inEpoch && Jiffies(now) - _epochStart < 1000)
        {
            return;
        }
        if (_hystart.OnSample(r, sndUna, sndNxt, CwndSegments, Cwnd < Ssthresh, pacingRate, now))
        {
            Ssthresh = Cwnd;
        }
    }

    public void OnAck(int acked, TimeSpan? srtt, Instant now)
    {
        if (Cwnd < Ssthresh)
        {
            // Linux tcp_slow_start: cwnd = min(cwnd + acked, ssthresh); what is left over goes on below.
            acked = NewReno.SlowStart(Cwnd, Ssthresh, acked, out int grown);
            Cwnd = grown;
            if (acked <= 0)
            {
                return;
            }
        }
        uint segments = (uint)((acked + _mss - 1) / _mss);
        Update(CwndSegments, segments, now);
        Cwnd = (int)Math.Min((long)AvoidanceIncrease(CwndSegments, _cnt, segments) * _mss, NewReno.MaxWindow);
    }

    /// <summary>
    /// Linux tcp_cong_avoid_ai: one segment per <paramref name="w"/> ACKed; credit gathered at a larger w is
    /// applied first.
    /// </summary>
    private uint AvoidanceIncrease(uint cwnd, uint w, uint acked)
    {
        if (_cwndCnt >= w)
        {
            _cwndCnt = 0;
            cwnd++;
        }
        _cwndCnt += acked;
        if (_cwndCnt >= w)
        {
            uint delta = _cwndCnt / w;
            _cwndCnt -= delta * w;
            cwnd += delta;
        }
        return cwnd;
    }

    private static long Jiffies(Instant now) => now.Milliseconds;

    /// <summary>Linux bictcp_update: sets <see cref="GrowthCount"/> from the cubic curve and the Reno estimate.</summary>
    private void Update(uint cwnd, uint acked, Instant now)
    {
        long jiffies = Jiffies(now);
        _ackCnt += acked;
        if (_lastCwnd == cwnd && jiffies - _lastTime <= 1000 / 32)
        {
            return;
        }
        // The cubic function updates cnt at most once per jiffy; a reduction ends the epoch and forces it.
        if (!(_inEpoch && jiffies == _lastTime))
        {
            _lastCwnd = cwnd;
            _lastTime = jiffies;
            if (!_inEpoch)
            {
                _inEpoch = true;
                _epochStart = jiffies;
                _ackCnt = acked;
                _tcpCwnd = cwnd;
                if (_lastMaxCwnd <= cwnd)
                {
                    _bicK = 0;
                    _originPoint = cwnd;
                }
                else
                {
                    _bicK = CubeRoot(CubeFactor * (_lastMaxCwnd - cwnd));
                    _originPoint = _lastMaxCwnd;
                }
            }
            ulong t = (ulong)(jiffies - _epochStart) + (ulong)((_hystart.DelayMinMicroseconds + 999) / 1000);
            t = (t << BicHz) / 1000;
            ulong offs = t < _bicK ? _bicK - t : t - _bicK;
            uint delta = (uint)(unchecked(CubeRttScale * offs * offs * offs) >> (10 + 3 * BicHz));
            uint target = t < _bicK ? _originPoint - delta : _originPoint + delta;
            _cnt = target > cwnd ? cwnd / (target - cwnd) : 100 * cwnd;
            if (_lastMaxCwnd == 0 && _cnt > 20)
            {
                _cnt = 20; // The bandwidth is unknown yet: 5 % per RTT at first.
            }
        }
        // Reno-friendliness: the window Reno would have, grown by one per cwnd·β-scaled ACKs.
        uint renoDelta = (cwnd * FriendlyScale) >> 3;
        while (_ackCnt > renoDelta)
        {
            _ackCnt -= renoDelta;
            _tcpCwnd++;
        }
        if (_tcpCwnd > cwnd)
        {
            uint maxCnt = cwnd / (_tcpCwnd - cwnd);
            _cnt = Math.Min(_cnt, maxCnt);
        }
        _cnt = Math.Max(_cnt, 2); // At most one segment per two ACKed: 1.5× per RTT.
    }

    /// <summary>Linux cubic_root: a table lookup and one Newton–Raphson step (error about 0.2 %).</summary>
    public static uint CubeRoot(ulong a)
    {
        ReadOnlySpan<byte> v =
        [
            0, 54, 54, 54, 118, 118, 118, 118, 123, 129, 134, 138, 143, 147, 151, 156,
            157, 161, 164, 168, 170, 173, 176, 179, 181, 185, 187, 190, 192, 194, 197, 199,
            200, 202, 204, 206, 209, 211, 213, 215, 217, 219, 221, 222, 224, 225, 227, 229,
            231, 232, 234, 236, 237, 239, 240, 242, 244, 245, 246, 248, 250, 251, 252, 254,
        ];
        int b = a == 0 ? 0 : 64 - System.Numerics.BitOperations.LeadingZeroCount(a); // fls64
        if (b < 7)
        {
            return ((uint)v[(int)a] + 35) >> 6;
        }
        b = ((b * 84) >> 8) - 1;
        int shift = (int)(a >> (b * 3));
        uint x = unchecked((uint)(((uint)v[shift] + 10) << b)) >> 6;
        x = unchecked(2 * x + (uint)(a / ((ulong)x * (x - 1))));
        return unchecked(x * 341) >> 10;
    }

    /// <summary>Linux cubictcp_recalc_ssthresh: W_max with fast convergence, ssthresh = 717/1024 of cwnd.</summary>
    private void RecalcSsthresh()
    {
        uint cwnd = CwndSegments;
        _inEpoch = false;
        _lastMaxCwnd = cwnd < _lastMaxCwnd ? cwnd * (BetaScale + Beta) / (2 * BetaScale) : cwnd;
        // RFC 9438 §4.6 multiplies the flight size; Linux multiplies cwnd. We follow Linux: a flight inflated past
        // cwnd by SACKed segments is no measure of the path.
        Ssthresh = (int)Math.Max(cwnd * Beta / BetaScale, 2) * _mss;
    }

    public void OnCongestionEvent(int flight, Instant now)
    {
        RecalcSsthresh();
        Cwnd = Ssthresh;
    }

    public void OnRecoveryEnd(Instant now) => Cwnd = Ssthresh;

    public void OnTimeout(int flight, Instant now)
    {
        RecalcSsthresh();
        Cwnd = _mss;
        // Linux cubictcp_state(TCP_CA_Loss): the curve and HyStart start over (bictcp_reset, bictcp_hystart_reset).
        Reset();
        _hystart.Reset(_hystart.HighestSndNxt, now);
    }

    public void Undo(int priorCwnd, int priorSsthresh)
    {
        // Linux tcp_reno_undo_cwnd and tcp_undo_cwnd_reduction; CUBIC's own state stays as the reduction left it.
        Cwnd = Math.Max(Cwnd, priorCwnd);
        Ssthresh = Math.Max(Ssthresh, priorSsthresh);
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
        long delta = (long)idle.TotalMilliseconds;
        if (_inEpoch && delta > 0)
        {
            _epochStart = Math.Min(_epochStart + delta, Jiffies(now));
        }
    }
}
