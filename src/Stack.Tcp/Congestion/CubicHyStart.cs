using Stack.Link.Time;

namespace Stack.Tcp.Congestion;

/// <summary>
/// HyStart as in Linux's tcp_cubic.c (hystart_update, both detectors on): slow start ends (ssthresh = cwnd) once
/// cwnd is at least <see cref="LowWindow"/> segments and either the ACKs of one round arrive as a train, 2 ms or
/// less apart, for longer than half the minimum delay (the ACK-train detector), or the least RTT of the first
/// <see cref="MinSamples"/> samples of a round exceeds the minimum delay by an eighth of it, clamped to
/// [<see cref="DelayMin"/>, <see cref="DelayMax"/>] (the delay detector). A round ends when SND.UNA passes the
/// SND.NXT at its start. Times in microseconds, as Linux's.
/// </summary>
public sealed class CubicHyStart
{
    /// <summary>Linux hystart_low_window: no detection below this cwnd, in segments.</summary>
    public const uint LowWindow = 16;

    /// <summary>Linux HYSTART_MIN_SAMPLES: RTT samples per round before the delay check.</summary>
    public const int MinSamples = 8;

    /// <summary>Linux HYSTART_DELAY_MIN and HYSTART_DELAY_MAX: the bounds of the delay threshold, µs.</summary>
    public const uint DelayMin = 4000, DelayMax = 16000;

    /// <summary>Linux hystart_ack_delta_us: ACKs this close (µs) form a train.</summary>
    public const long AckDelta = 2000;

    private const long GsoMaxSize = 65536; // Linux sk_gso_max_size of the suite's device

    private long _roundStart;   // µs
    private long _lastAck;      // µs
    private SeqNum _endSeq;
    private bool _endSeqKnown;
    private uint _currRtt = uint.MaxValue;
    private int _sampleCnt;

    /// <summary>
    /// The connection is paced by fq (Linux sk_pacing_status SK_PACING_FQ): pacing may have spread the ACKs of a
    /// round over half the RTT, so the ACK train must last the whole minimum delay.
    /// </summary>
    public bool FqPaced { get; set; }

    /// <summary>Slow start's exit was found (Linux ca->found); HyStart rests until the curve is reset.</summary>
    public bool Found { get; private set; }

    /// <summary>The least RTT seen, µs, 0 before any (Linux delay_min).</summary>
    public uint DelayMinMicroseconds { get; private set; }

    /// <summary>The highest SND.NXT a sample was taken at.</summary>
    internal SeqNum? HighestSndNxt { get; private set; }

    /// <summary>Linux bictcp_hystart_reset: a new round starts now and ends once <paramref name="endSeq"/> is acknowledged.</summary>
    internal void Reset(SeqNum? endSeq, Instant now)
    {
        _roundStart = _lastAck = now == Instant.Never ? 0 : now.Microseconds;
        _endSeqKnown = endSeq is not null;
        _endSeq = endSeq ?? default;
        _currRtt = uint.MaxValue;
        _sampleCnt = 0;
    }

    /// <summary>Back to the state of a new one, for a pooled connection's next life.</summary>
    internal void ResetToNew()
    {
        Reset(null, Instant.Never);
        (FqPaced, Found, DelayMinMicroseconds, HighestSndNxt) = (false, false, 0, null);
    }

    /// <summary>The part of Linux bictcp_reset that is HyStart's: the minimum delay and the exit found.</summary>
    internal void ForgetDelayMin()
    {
        DelayMinMicroseconds = 0;
        Found = false;
    }

    /// <summary>
    /// Takes one RTT sample (Linux cubictcp_acked after its epoch check): updates the minimum delay and, in slow
    /// start and until found, runs the detectors. Returns true when slow start should end now.
    /// </summary>
    internal bool OnSample(TimeSpan rtt, SeqNum sndUna, SeqNum sndNxt, uint cwnd, bool slowStart, double pacingRate,
        Instant now)
    {
        if (HighestSndNxt is not { } high || sndNxt > high)
        {
            HighestSndNxt = sndNxt;
        }
        uint delay = (uint)Math.Clamp(rtt.Ticks / TimeSpan.TicksPerMicrosecond, 1, uint.MaxValue);
        if (DelayMinMicroseconds == 0 || DelayMinMicroseconds > delay)
        {
            DelayMinMicroseconds = delay;
        }
        if (Found || !slowStart)
        {
            return false;
        }
        // Linux hystart_update since 6.13 (25c1a9ca53db, "tcp_cubic: fix incorrect HyStart round start detection"):
        // a round ends and the next starts whatever cwnd is; only the detectors wait for LowWindow. From 5.16 to
        // 6.12 the cwnd check came first, so no round started below 16 segments; the suite's
        // cubic/cubic-bulk-166k*.pkt expect that order (exit at cwnd 48 where Linux 6.18, measured, gives 36).
        if (!_endSeqKnown || sndUna > _endSeq)
        {
            Reset(sndNxt, now);
        }
        if (cwnd < LowWindow)
        {
            return false;
        }
        long us = now.Microseconds;
        if (us - _lastAck <= AckDelta)
        {
            _lastAck = us;
            // Without fq pacing (sk_pacing_status NONE) the train must last half the minimum delay, plus a
            // cushion for TSO/GRO of 4 GSO packets at the pacing rate, at most 1 ms (hystart_ack_delay).
            long threshold = DelayMinMicroseconds + AckDelay(pacingRate);
            if (!FqPaced)
            {
                threshold >>= 1;
            }
            if (us - _roundStart > threshold)
            {
                Found = true;
            }
        }
        _currRtt = Math.Min(_currRtt, delay);
        if (_sampleCnt < MinSamples)
        {
            _sampleCnt++;
        }
        else if (_currRtt > DelayMinMicroseconds + Math.Clamp(DelayMinMicroseconds >> 3, DelayMin, DelayMax))
        {
            Found = true;
        }
        return Found;
    }

    /// <summary>Linux hystart_ack_delay: 4 GSO packets at the pacing rate, at most 1 ms; 0 without a rate.</summary>
    private static long AckDelay(double pacingRate) =>
        pacingRate <= 0 || double.IsInfinity(pacingRate) ? 0
            : (long)Math.Min(1000, GsoMaxSize * 4 * 1_000_000 / pacingRate);
}
