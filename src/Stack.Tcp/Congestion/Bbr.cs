using Stack.Link.Time;
using Stack.Tcp.Sending;

namespace Stack.Tcp.Congestion;

/// <summary>
/// BBR (version 1: draft-cardwell-iccrg-bbr-congestion-control-00, Linux tcp_bbr.c): a model of the path — the
/// bottleneck bandwidth (the windowed maximum of the delivery rate over 10 round trips) and the round-trip
/// propagation time (the minimum RTT over 10 s) — sets the pacing rate (bandwidth × gain) and cwnd (2 × the
/// bandwidth-delay product, plus allowances for ACK aggregation and send bursts). Random loss does not shrink the
/// model, so on a lossy path the window stays open and RACK keeps finding losses from the SACKs of segments sent
/// after them, where a loss-based window collapses to a few segments and waits for timeouts.
/// </summary>
/// <remarks>
/// States: Startup (pacing gain 2/ln 2 until the bandwidth stops growing by 25 % for three rounds), Drain (the
/// inverse gain until the queue Startup built is gone), ProbeBW (a cycle of eight phases: 1.25, 0.75, then six at
/// 1), ProbeRTT (cwnd of four segments for 200 ms and a round when the minimum RTT is 10 s old). In recovery the
/// first round conserves packets (cwnd = in flight + delivered); leaving it restores the cwnd from before.
/// As Linux, cwnd and the model are in segments; the interface speaks bytes. Not done: Linux's long-term
/// bandwidth sampling for token-bucket policers (lt_bw). The ProbeBW starting phase is drawn from a per-connection
/// deterministic generator (Linux: prandom), so runs repeat.
/// </remarks>
public sealed class Bbr : IRateBasedCongestionControl
{
    private enum Mode { Startup, Drain, ProbeBw, ProbeRtt }

    private const double HighGain = 739 / 256.0; // 2/ln 2 in Linux's fixed point: BBR_UNIT·2885/1000 + 1
    private const double DrainGain = 88 / 256.0; // its inverse, the same way: BBR_UNIT·1000/2885
    private const double CwndGain = 2;
    private const int CycleLength = 8;
    private const int BandwidthWindowRounds = CycleLength + 2;
    private const int MinCwndSegments = 4;
    private const double FullBandwidthGrowth = 1.25;
    private const int FullBandwidthRounds = 3;
    private const int ExtraAckedWindowRounds = 5;
    private const double PacingMargin = 0.99; // Linux paces 1 % below the estimate, to keep the queue from building.
    private const int MaxBurstSegments = 127;
    private static readonly double[] PacingGains = [1.25, 0.75, 1, 1, 1, 1, 1, 1];
    private static readonly TimeSpan MinRttWindow = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan ProbeRttDuration = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan ExtraAckedMax = TimeSpan.FromMilliseconds(100);

    private int _mss = 536;
    private int _initialWindow = 10;
    private Mode _mode;
    private uint _random;

    private WindowedMax _bandwidth; // bytes per second, over round counts
    private long _rounds;
    private long _nextRoundDelivered;
    private bool _roundStart;

    private TimeSpan? _minRtt;
    private Instant _minRttAt;
    private Instant? _probeRttDoneAt;
    private bool _probeRttRoundDone;
    private bool _idleRestart;

    private double _fullBandwidth;
    private int _fullBandwidthCount;
    private bool _fullBandwidthReached;

    private int _cycleIndex;
    private Instant _cycleStart;
    private double _pacingGain = HighGain;
    private double _cwndGain = HighGain;

    private RecoveryState _prevState;
    private bool _packetConservation;
    private int _priorCwnd;
    private bool _hasSeenRtt;

    // ACK aggregation (Linux bbr_update_ack_aggregation): bytes (S)ACKed beyond what the bandwidth explains.
    private Instant _ackEpochStart;
    private long _ackEpochAcked;
    private long _extraAcked0, _extraAcked1;
    private int _extraAckedIndex;
    private int _extraAckedRounds;

    /// <param name="seed">Seeds the choice of the first ProbeBW phase (any value; runs with one seed repeat).</param>
    public Bbr(int seed = 0) => _random = (uint)seed | 1;

    /// <summary>Back to the state of <c>new Bbr(seed)</c>, for a pooled connection's next life.</summary>
    internal void ResetToNew(int seed)
    {
        (_mss, _initialWindow, _mode, _random) = (536, 10, Mode.Startup, (uint)seed | 1);
        (_bandwidth, _rounds, _nextRoundDelivered, _roundStart) = (default, 0, 0, false);
        (_minRtt, _minRttAt, _probeRttDoneAt, _probeRttRoundDone, _idleRestart) = (null, default, null, false, false);
        (_fullBandwidth, _fullBandwidthCount, _fullBandwidthReached) = (0, 0, false);
        (_cycleIndex, _cycleStart, _pacingGain, _cwndGain) = (0, default, HighGain, HighGain);
        (_prevState, _packetConservation, _priorCwnd, _hasSeenRtt) = (RecoveryState.Open, false, 0, false);
        (_ackEpochStart, _ackEpochAcked, _extraAcked0, _extraAcked1) = (default, 0, 0, 0);
        (_extraAckedIndex, _extraAckedRounds) = (0, 0);
        (Cwnd, Ssthresh, PacingRate) = (NewReno.MaxWindow, NewReno.MaxWindow, 0);
    }

    public int Cwnd { get; set; } = NewReno.MaxWindow;

    /// <summary>Unbounded, except from Drain on: the estimated BDP (Linux sets snd_ssthresh there, for reporting).</summary>
    public int Ssthresh { get; private set; } = NewReno.MaxWindow;

    public double PacingRate { get; private set; }

    /// <summary>The bottleneck bandwidth estimate, bytes per second (0 before a sample).</summary>
    public double BottleneckBandwidth => _bandwidth.Value;

    /// <summary>The propagation RTT estimate, once measured.</summary>
    public TimeSpan? MinRtt => _minRtt;

    /// <summary>Startup, Drain, ProbeBW or ProbeRTT.</summary>
    public string ModeName => _mode.ToString();

    public void Start(int mss, int initialWindowSegments)
    {
        _mss = mss;
        _initialWindow = Math.Max(1, initialWindowSegments);
        Cwnd = _initialWindow * mss;
        Ssthresh = NewReno.MaxWindow;
        _mode = Mode.Startup;
        _pacingGain = _cwndGain = HighGain;
        PacingRate = HighGain * Cwnd / 1e-3 * PacingMargin; // No RTT yet: Linux assumes 1 ms.
    }

    public void SetMss(int mss) => _mss = mss;

    /// <summary>Not used: BBR takes its ACKs as rate samples (<see cref="OnRateSample"/>).</summary>
    public void OnAck(int acked, TimeSpan? srtt, Instant now)
    {
    }

    /// <summary>Loss found (Linux bbr_ssthresh): no reduction, the cwnd is noted to return to after recovery.</summary>
    public void OnCongestionEvent(int flight, Instant now) => SaveCwnd();

    public void OnRecoveryEnd(Instant now)
    {
    }

    /// <summary>A timeout (Linux calls ssthresh() here too): the cwnd is noted; the connection sets it to the pipe + 1.</summary>
    public void OnTimeout(int flight, Instant now) => SaveCwnd();

    /// <summary>Linux bbr_undo_cwnd: the window stays; Startup's plateau detection starts again.</summary>
    public void Undo(int priorCwnd, int priorSsthresh)
    {
        _fullBandwidth = 0;
        _fullBandwidthCount = 0;
        Ssthresh = Math.Max(Ssthresh, priorSsthresh);
    }

    public void OnStateChange(RecoveryState state)
    {
        if (state == RecoveryState.Loss)
        {
            // Linux bbr_set_state: a timeout ends a round and restarts the search for the pipe's capacity.
            _prevState = RecoveryState.Loss;
            _fullBandwidth = 0;
            _roundStart = true;
        }
    }

    public void OnRestartAfterIdle(Instant now)
    {
        _idleRestart = true;
        _ackEpochStart = now;
        _ackEpochAcked = 0;
        if (_mode == Mode.ProbeBw)
        {
            SetPacingRate(_bandwidth.Value, 1); // Linux: resume at the estimated rate, no probing burst.
        }
        else if (_mode == Mode.ProbeRtt)
        {
            CheckProbeRttDone(now);
        }
    }

    /// <summary>Linux bbr_main: update the model, then the pacing rate and cwnd from it.</summary>
    public void OnRateSample(in RateSample rs, RecoveryState state, int pipe, DeliveryRate rate, Instant now)
    {
        UpdateBandwidth(rs, rate.Delivered);
        UpdateAckAggregation(rs, now);
        if (_mode == Mode.ProbeBw && IsNextCyclePhase(rs, now))
        {
            AdvanceCyclePhase(now);
        }
        CheckFullBandwidthReached(rs);
        CheckDrain(pipe, now);
        UpdateMinRtt(rs, pipe, rate, now);
        UpdateGains();
        if (!_hasSeenRtt && rs.Rtt is { } rtt)
        {
            _hasSeenRtt = true;
            PacingRate = HighGain * Cwnd / Math.Max(rtt.TotalSeconds, 1e-6) * PacingMargin; // bbr_init_pacing_rate_from_rtt
        }
        SetPacingRate(_bandwidth.Value, _pacingGain);
        SetCwnd(rs, state, pipe, rate.Delivered);
    }

    private void UpdateBandwidth(in RateSample rs, long delivered)
    {
        _roundStart = false;
        if (!rs.IsValid)
        {
            return;
        }
        if (rs.PriorDelivered >= _nextRoundDelivered)
        {
            // The segment this ACK's sample started from left after the last round began: a round trip ended.
            _nextRoundDelivered = delivered;
            _rounds++;
            _roundStart = true;
            _packetConservation = false;
        }
        double bw = rs.BytesPerSecond;
        if (!rs.AppLimited || bw >= _bandwidth.Value)
        {
            _bandwidth.Update(BandwidthWindowRounds, _rounds, bw); // An app-limited sample only ever raises it.
        }
    }

    private void UpdateAckAggregation(in RateSample rs, Instant now)
    {
        if (rs.AckedSacked <= 0 || !rs.IsValid)
        {
            return;
        }
        if (_roundStart && ++_extraAckedRounds >= ExtraAckedWindowRounds)
        {
            _extraAckedRounds = 0;
            _extraAckedIndex ^= 1;
            if (_extraAckedIndex == 0) _extraAcked0 = 0; else _extraAcked1 = 0;
        }
        long expected = (long)(_bandwidth.Value * (now - _ackEpochStart).TotalSeconds);
        if (_ackEpochAcked <= expected || _ackEpochAcked + rs.AckedSacked >= (1L << 20) * _mss)
        {
            // The ACKs came no faster than the bandwidth (or the epoch is old): start a new epoch here.
            _ackEpochAcked = 0;
            _ackEpochStart = now;
            expected = 0;
        }
        _ackEpochAcked += rs.AckedSacked;
        long extra = Math.Min(_ackEpochAcked - expected, Cwnd);
        if (_extraAckedIndex == 0) _extraAcked0 = Math.Max(_extraAcked0, extra); else _extraAcked1 = Math.Max(_extraAcked1, extra);
    }

    /// <summary>Segments of cwnd for ACK aggregation: the largest excess seen, at most 100 ms at the bandwidth.</summary>
    private int AggregationSegments()
    {
        if (!_fullBandwidthReached)
        {
            return 0;
        }
        double bytes = Math.Min(Math.Max(_extraAcked0, _extraAcked1), _bandwidth.Value * ExtraAckedMax.TotalSeconds);
        return (int)(bytes / _mss);
    }

    private bool IsNextCyclePhase(in RateSample rs, Instant now)
    {
        bool fullLength = _minRtt is { } minRtt && now - _cycleStart > minRtt;
        if (_pacingGain == 1)
        {
            return fullLength;
        }
        int inflight = Segments(rs.PriorInFlight);
        if (_pacingGain > 1)
        {
            // Probing: until the pipe holds 1.25 × BDP, or a loss says the extra does not fit.
            return fullLength && (rs.Losses > 0 || inflight >= Inflight(_bandwidth.Value, _pacingGain));
        }
        return fullLength || inflight <= Inflight(_bandwidth.Value, 1); // Draining: until the queue is gone.
    }

    private void AdvanceCyclePhase(Instant now)
    {
        _cycleIndex = (_cycleIndex + 1) & (CycleLength - 1);
        _cycleStart = now;
    }

    private void CheckFullBandwidthReached(in RateSample rs)
    {
        if (_fullBandwidthReached || !_roundStart || rs.AppLimited)
        {
            return;
        }
        if (_bandwidth.Value >= _fullBandwidth * FullBandwidthGrowth)
        {
            _fullBandwidth = _bandwidth.Value;
            _fullBandwidthCount = 0;
            return;
        }
        _fullBandwidthReached = ++_fullBandwidthCount >= FullBandwidthRounds;
    }

    private void CheckDrain(int pipe, Instant now)
    {
        if (_mode == Mode.Startup && _fullBandwidthReached)
        {
            _mode = Mode.Drain;
            Ssthresh = Inflight(_bandwidth.Value, 1) * _mss;
        }
        if (_mode == Mode.Drain && Segments(pipe) <= Inflight(_bandwidth.Value, 1))
        {
            ResetProbeBandwidthMode(now);
        }
    }

    private void ResetProbeBandwidthMode(Instant now)
    {
        _mode = Mode.ProbeBw;
        _cycleIndex = CycleLength - 1 - (int)(NextRandom() % 7); // Any phase but the drain one after the probe.
        AdvanceCyclePhase(now);
    }

    private void UpdateMinRtt(in RateSample rs, int pipe, DeliveryRate rate, Instant now)
    {
        bool expired = now > _minRttAt + MinRttWindow;
        if (rs.Rtt is { } rtt && (_minRtt is not { } min || rtt < min || expired))
        {
            _minRtt = rtt;
            _minRttAt = now;
        }
        if (expired && !_idleRestart && _mode != Mode.ProbeRtt)
        {
            _mode = Mode.ProbeRtt; // Drain the queue to see the propagation delay again.
            SaveCwnd();
            _probeRttDoneAt = null;
        }
        if (_mode == Mode.ProbeRtt)
        {
            rate.OnApplicationLimited(pipe); // The low rates of this dip are not the path's.
            if (_probeRttDoneAt is null && Segments(pipe) <= MinCwndSegments)
            {
                _probeRttDoneAt = now + ProbeRttDuration;
                _probeRttRoundDone = false;
                _nextRoundDelivered = rate.Delivered;
            }
            else if (_probeRttDoneAt is not null)
            {
                _probeRttRoundDone |= _roundStart;
                if (_probeRttRoundDone)
                {
                    CheckProbeRttDone(now);
                }
            }
        }
        if (rs.Delivered > 0)
        {
            _idleRestart = false;
        }
    }

    private void CheckProbeRttDone(Instant now)
    {
        if (_probeRttDoneAt is not { } done || now <= done)
        {
            return;
        }
        _minRttAt = now; // Wait a window before the next dip.
        Cwnd = Math.Max(Cwnd, _priorCwnd);
        if (_fullBandwidthReached)
        {
            ResetProbeBandwidthMode(now);
        }
        else
        {
            _mode = Mode.Startup;
        }
    }

    private void UpdateGains()
    {
        (_pacingGain, _cwndGain) = _mode switch
        {
            Mode.Startup => (HighGain, HighGain),
            Mode.Drain => (DrainGain, HighGain),
            Mode.ProbeBw => (PacingGains[_cycleIndex], CwndGain),
            _ => (1.0, 1.0),
        };
    }

    private void SetPacingRate(double bandwidth, double gain)
    {
        double rate = bandwidth * gain * PacingMargin;
        if (_fullBandwidthReached || rate > PacingRate)
        {
            PacingRate = rate; // In Startup the rate only rises: an early low sample must not throttle it.
        }
    }

    /// <summary>Linux bbr_set_cwnd, with bbr_set_cwnd_to_recover_or_restore first.</summary>
    private void SetCwnd(in RateSample rs, RecoveryState state, int pipe, long delivered)
    {
        int cwnd = Cwnd;
        int acked = rs.AckedSacked;
        if (acked > 0)
        {
            if (rs.Losses > 0)
            {
                cwnd = Math.Max(cwnd - rs.Losses, _mss);
            }
            if (state == RecoveryState.Recovery && _prevState != RecoveryState.Recovery)
            {
                // Recovery begins: for a round, send only as much as leaves (packet conservation).
                _packetConservation = true;
                _nextRoundDelivered = delivered;
                cwnd = pipe + acked;
            }
            else if (_prevState >= RecoveryState.Recovery && state < RecoveryState.Recovery)
            {
                cwnd = Math.Max(cwnd, _priorCwnd); // Recovery or the loss state ended: the window from before.
                _packetConservation = false;
            }
            _prevState = state;
            if (_packetConservation)
            {
                cwnd = Math.Max(cwnd, pipe + acked);
            }
            else
            {
                int target = QuantizationBudget(Bdp(_bandwidth.Value, _cwndGain) + AggregationSegments()) * _mss;
                if (_fullBandwidthReached)
                {
                    cwnd = (int)Math.Min((long)cwnd + acked, target); // Only cut cwnd once the pipe was filled.
                }
                else if (cwnd < target || delivered < (long)_initialWindow * _mss)
                {
                    cwnd += acked;
                }
                cwnd = Math.Max(cwnd, MinCwndSegments * _mss);
            }
        }
        Cwnd = Math.Min(cwnd, NewReno.MaxWindow);
        if (_mode == Mode.ProbeRtt)
        {
            Cwnd = Math.Min(Cwnd, MinCwndSegments * _mss);
        }
    }

    /// <summary>Linux bbr_save_cwnd: what to return to after recovery or ProbeRTT.</summary>
    private void SaveCwnd() => _priorCwnd = _prevState < RecoveryState.Recovery && _mode != Mode.ProbeRtt
        ? Cwnd
        : Math.Max(_priorCwnd, Cwnd);

    /// <summary>The bandwidth-delay product × gain in segments, rounded up; the initial window before an RTT.</summary>
    private int Bdp(double bandwidth, double gain) => _minRtt is { } rtt
        ? (int)Math.Min(Math.Ceiling(bandwidth * rtt.TotalSeconds * gain / _mss), NewReno.MaxWindow / _mss)
        : _initialWindow;

    private int Inflight(double bandwidth, double gain) => QuantizationBudget(Bdp(bandwidth, gain));

    /// <summary>
    /// Linux bbr_quantization_budget: room for three send bursts beyond the BDP (the pacer sends about a
    /// millisecond at a time), rounded up to even, and two more in the probing phase.
    /// </summary>
    private int QuantizationBudget(int segments)
    {
        segments += 3 * BurstSegments();
        segments = (segments + 1) & ~1;
        return _mode == Mode.ProbeBw && _cycleIndex == 0 ? segments + 2 : segments;
    }

    /// <summary>Linux bbr_tso_segs_goal: about 1 ms at the pacing rate (rate >> 10), 2 segments at least (1 when slow).</summary>
    private int BurstSegments()
    {
        double bytes = Math.Min(PacingRate / 1024, 65536 - 1 - 320);
        int min = PacingRate < 1_200_000 / 8 ? 1 : 2;
        return Math.Min(Math.Max((int)(bytes / _mss), min), MaxBurstSegments);
    }

    private int Segments(int bytes) => (bytes + _mss - 1) / _mss;

    private uint NextRandom()
    {
        _random ^= _random << 13;
        _random ^= _random >> 17;
        _random ^= _random << 5;
        return _random;
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
