namespace Stack.Tcp.Rto;

/// <summary>How <see cref="RtoEstimator"/> turns RTT samples into the RTO.</summary>
public enum RtoFormula
{
    /// <summary>RFC 6298 §2: RTO = SRTT + max(G, 4·RTTVAR), at least <see cref="RtoEstimator.MinRto"/>.</summary>
    Rfc6298,

    /// <summary>
    /// Linux's tcp_rtt_estimator and tcp_set_rto: RTO = SRTT + RTTVAR where RTTVAR follows the largest mean
    /// deviation of each round trip and never falls below the minimum RTO (so the RTO is SRTT + 200 ms on a steady
    /// path, not 200 ms), and a sample below SRTT moves the deviation with an eighth of the gain.
    /// </summary>
    Linux,
}

public sealed partial class RtoEstimator
{
    // Linux's fixed-point state, in microseconds (tcp_sock): srtt_us is 8·SRTT, mdev_us, mdev_max_us and rttvar_us
    // are 4·the mean deviation, rtt_seq is SND.NXT when the current round of the variance maximum began.
    private struct LinuxState
    {
        public long Srtt8;
        public long Mdev4;
        public long MdevMax4;
        public long Rttvar4;
        public SeqNum RttSeq;
    }

    private LinuxState _linux;

    private static TimeSpan Microseconds(long us) => TimeSpan.FromTicks(us * TimeSpan.TicksPerMicrosecond);

    /// <summary>
    /// Linux __tcp_set_rto: SRTT + RTTVAR, in whole jiffies rounded up (usecs_to_jiffies, HZ = 1000 here). The
    /// caller clamps it to [MinRto, MaxRto] as tcp_bound_rto does (RTTVAR already holds it above the minimum).
    /// </summary>
    private TimeSpan LinuxRto
    {
        get
        {
            long us = (_linux.Srtt8 >> 3) + _linux.Rttvar4;
            return TimeSpan.FromMilliseconds((us + 999) / 1000);
        }
    }

    /// <summary>
    /// Linux tcp_rtt_estimator, step for step. The first sample sets SRTT = m and the deviation to m/2, with
    /// RTTVAR = max(2m, MinRto) ("make sure rto = 3*rtt"). Later ones: SRTT += (m − SRTT)/8; the deviation moves a
    /// quarter of the way to |m − SRTT|, but only a 32nd when m is below SRTT (Linux's Eifel-like damping, so a
    /// falling RTT does not inflate the RTO); RTTVAR follows the largest deviation seen, and once per round trip of
    /// data (SND.UNA past the SND.NXT of the round's start) decays a quarter of the way to that round's maximum,
    /// which restarts from MinRto.
    /// </summary>
    private void LinuxSample(TimeSpan rtt, SeqNum sndUna, SeqNum sndNxt, bool newRound)
    {
        long m = rtt.Ticks / TimeSpan.TicksPerMicrosecond;
        long rtoMin = MinRto.Ticks / TimeSpan.TicksPerMicrosecond;
        ref LinuxState s = ref _linux;
        if (!_hasSample)
        {
            s.Srtt8 = Math.Max(1, m << 3);
            s.Mdev4 = m << 1;
            s.Rttvar4 = Math.Max(s.Mdev4, rtoMin);
            s.MdevMax4 = s.Rttvar4;
            s.RttSeq = sndNxt;
            _hasSample = true;
            BackoffCount = 0;
            return;
        }
        m -= s.Srtt8 >> 3;
        s.Srtt8 = Math.Max(1, s.Srtt8 + m);
        if (m < 0)
        {
            m = -m - (s.Mdev4 >> 2);
            if (m > 0)
            {
                m >>= 3;
            }
        }
        else
        {
            m -= s.Mdev4 >> 2;
        }
        s.Mdev4 += m;
        if (s.Mdev4 > s.MdevMax4)
        {
            s.MdevMax4 = s.Mdev4;
            if (s.MdevMax4 > s.Rttvar4)
            {
                s.Rttvar4 = s.MdevMax4;
            }
        }
        if (newRound || sndUna > s.RttSeq)
        {
            if (s.MdevMax4 < s.Rttvar4)
            {
                s.Rttvar4 -= (s.Rttvar4 - s.MdevMax4) >> 2;
            }
            s.RttSeq = sndNxt;
            s.MdevMax4 = rtoMin;
        }
        BackoffCount = 0;
    }
}
