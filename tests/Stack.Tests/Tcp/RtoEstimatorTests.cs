using Stack.Link.Time;
using Stack.Tcp;
using Stack.Tcp.Rto;

namespace Stack.Tests.Tcp;

public sealed class RtoEstimatorTests
{
    private static TimeSpan Ms(double ms) => TimeSpan.FromMilliseconds(ms);

    private static Instant At(long ms) => Instant.FromMilliseconds(ms);

    [Fact]
    public void Before_any_sample_the_rto_is_one_second()
    {
        var rto = new RtoEstimator();
        Assert.Equal(TimeSpan.FromSeconds(1), rto.Rto);
        Assert.Null(rto.SmoothedRtt);
        Assert.Null(rto.RttVariance);
    }

    [Fact]
    public void First_sample_sets_srtt_to_r_and_rttvar_to_half_r()
    {
        var rto = new RtoEstimator();
        rto.AddSample(Ms(100));
        // RFC 6298 §2.2: SRTT = 100, RTTVAR = 50, RTO = 100 + max(G, 4·50) = 300 ms.
        Assert.Equal(Ms(100), rto.SmoothedRtt);
        Assert.Equal(Ms(50), rto.RttVariance);
        Assert.Equal(Ms(300), rto.Rto);
    }

    [Fact]
    public void Later_samples_update_rttvar_with_the_old_srtt_then_srtt()
    {
        var rto = new RtoEstimator();
        rto.AddSample(Ms(100));
        rto.AddSample(Ms(200));
        // RFC 6298 §2.3: RTTVAR = 3/4·50 + 1/4·|100 − 200| = 62.5; SRTT = 7/8·100 + 1/8·200 = 112.5;
        // RTO = 112.5 + 4·62.5 = 362.5 ms.
        Assert.Equal(Ms(62.5), rto.RttVariance);
        Assert.Equal(Ms(112.5), rto.SmoothedRtt);
        Assert.Equal(Ms(362.5), rto.Rto);

        rto.AddSample(Ms(50));
        // RTTVAR = 3/4·62.5 + 1/4·62.5 = 62.5; SRTT = 7/8·112.5 + 1/8·50 = 104.6875; RTO = 354.6875 ms.
        Assert.Equal(Ms(62.5), rto.RttVariance);
        Assert.Equal(Ms(104.6875), rto.SmoothedRtt);
        Assert.Equal(Ms(354.6875), rto.Rto);
    }

    [Fact]
    public void The_minimum_rto_applies_and_is_configurable()
    {
        var linux = new RtoEstimator();
        linux.AddSample(Ms(1));
        Assert.Equal(Ms(200), linux.Rto);

        var rfc = new RtoEstimator { MinRto = TimeSpan.FromSeconds(1) };
        rfc.AddSample(Ms(1));
        Assert.Equal(TimeSpan.FromSeconds(1), rfc.Rto);
    }

    [Fact]
    public void The_clock_granularity_bounds_the_variance_term_from_below()
    {
        var rto = new RtoEstimator { MinRto = TimeSpan.Zero, Granularity = Ms(10) };
        for (int i = 0; i < 200; i++)
        {
            rto.AddSample(Ms(100));
        }
        // Steady RTT: RTTVAR decays to nothing, so RTO = SRTT + max(G, 0) = 110 ms.
        Assert.Equal(Ms(100), rto.SmoothedRtt);
        Assert.Equal(Ms(110), rto.Rto);
    }

    [Fact]
    public void Backoff_doubles_up_to_the_maximum_and_keeps_counting()
    {
        var rto = new RtoEstimator();
        int[] expectedSeconds = [2, 4, 8, 16, 32, 64, 120, 120, 120];
        foreach (int s in expectedSeconds)
        {
            rto.Backoff();
            Assert.Equal(TimeSpan.FromSeconds(s), rto.Rto);
        }
        Assert.Equal(expectedSeconds.Length, rto.BackoffCount);

        for (int i = 0; i < 100; i++)
        {
            rto.Backoff();
        }
        Assert.Equal(TimeSpan.FromSeconds(120), rto.Rto);

        rto.ResetBackoff();
        Assert.Equal(0, rto.BackoffCount);
        Assert.Equal(TimeSpan.FromSeconds(1), rto.Rto);
    }

    [Fact]
    public void A_configured_maximum_caps_backoff()
    {
        var rto = new RtoEstimator { MaxRto = TimeSpan.FromSeconds(60) };
        for (int i = 0; i < 10; i++)
        {
            rto.Backoff();
        }
        Assert.Equal(TimeSpan.FromSeconds(60), rto.Rto);
    }

    [Fact]
    public void A_new_sample_ends_the_backoff()
    {
        var rto = new RtoEstimator();
        rto.Backoff();
        rto.Backoff();
        rto.AddSample(Ms(100));
        Assert.Equal(Ms(300), rto.Rto);
    }

    [Fact]
    public void An_ack_covering_the_timed_segment_gives_a_sample()
    {
        var rto = new RtoEstimator();
        Assert.True(rto.StartTiming(new SeqNum(1001), At(10_000)));
        Assert.True(rto.IsTiming);
        Assert.False(rto.OnAck(new SeqNum(1000), At(10_030)));
        Assert.True(rto.IsTiming);
        Assert.True(rto.OnAck(new SeqNum(1001), At(10_050)));
        Assert.False(rto.IsTiming);
        Assert.Equal(Ms(50), rto.SmoothedRtt);
    }

    [Fact]
    public void Only_one_segment_is_timed_at_a_time()
    {
        var rto = new RtoEstimator();
        Assert.True(rto.StartTiming(new SeqNum(100), At(0)));
        Assert.False(rto.StartTiming(new SeqNum(200), At(20)));
        Assert.True(rto.OnAck(new SeqNum(200), At(80)));
        // Timed from the first segment's send time.
        Assert.Equal(Ms(80), rto.SmoothedRtt);
    }

    [Fact]
    public void Karn_no_sample_from_a_retransmitted_segment()
    {
        var rto = new RtoEstimator();
        rto.StartTiming(new SeqNum(1001), At(0));
        rto.OnRetransmit();
        rto.Backoff();
        Assert.False(rto.OnAck(new SeqNum(1001), At(1500)));
        Assert.Null(rto.SmoothedRtt);
        // The backed-off RTO stays until a valid sample (RFC 6298 §5.7).
        Assert.Equal(TimeSpan.FromSeconds(2), rto.Rto);

        rto.StartTiming(new SeqNum(2001), At(2000));
        Assert.True(rto.OnAck(new SeqNum(2001), At(2100)));
        Assert.Equal(Ms(100), rto.SmoothedRtt);
        Assert.Equal(Ms(300), rto.Rto);
    }

    [Fact]
    public void Timing_works_across_the_sequence_wrap()
    {
        var rto = new RtoEstimator();
        rto.StartTiming(new SeqNum(0x0000_0010), At(0));
        Assert.False(rto.OnAck(new SeqNum(0xFFFF_FFF0), At(10)));
        Assert.True(rto.OnAck(new SeqNum(0x0000_0020), At(40)));
        Assert.Equal(Ms(40), rto.SmoothedRtt);
    }

    [Fact]
    public void Timestamp_samples_feed_the_same_estimator_and_refuse_negative_values()
    {
        var rto = new RtoEstimator();
        Assert.False(rto.SampleFromTimestamp(Ms(-5)));
        Assert.Null(rto.SmoothedRtt);
        Assert.True(rto.SampleFromTimestamp(Ms(100)));
        Assert.Equal(Ms(300), rto.Rto);
    }

    [Fact]
    public void Timestamp_samples_use_appendix_g_gains_divided_by_the_samples_per_flight()
    {
        var rto = new RtoEstimator();
        Assert.True(rto.SampleFromTimestamp(Ms(100), expectedSamples: 4)); // The first sample is taken whole.
        Assert.Equal(Ms(100), rto.SmoothedRtt);
        Assert.Equal(Ms(50), rto.RttVariance);
        Assert.True(rto.SampleFromTimestamp(Ms(200), expectedSamples: 4));
        // RTTVAR += (|SRTT - R| - RTTVAR) / (4·4) = 50 + 50/16; SRTT += (R - SRTT) / (8·4) = 100 + 100/32.
        Assert.Equal(TimeSpan.FromMicroseconds(53_125), rto.RttVariance);
        Assert.Equal(TimeSpan.FromMicroseconds(103_125), rto.SmoothedRtt);
    }

    [Fact]
    public void A_syn_timeout_raises_the_initial_rto_to_three_seconds()
    {
        var rto = new RtoEstimator();
        rto.Backoff();
        rto.OnSynTimedOut();
        Assert.Equal(TimeSpan.FromSeconds(3), rto.Rto);
        rto.AddSample(Ms(100));
        Assert.Equal(Ms(300), rto.Rto);
    }

    [Fact]
    public void A_negative_sample_is_a_programming_error() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new RtoEstimator().AddSample(Ms(-1)));

    [Fact]
    public void Linux_formula_keeps_the_rto_at_srtt_plus_the_minimum_on_a_steady_path()
    {
        var rto = new RtoEstimator { Formula = RtoFormula.Linux };
        rto.AddSample(Ms(100), new SeqNum(1), new SeqNum(1001));
        // tcp_rtt_estimator's first sample: SRTT = 100, mdev = 50, RTTVAR = max(2 · 100, 200) = 200: RTO 300 ms.
        Assert.Equal(Ms(100), rto.SmoothedRtt);
        Assert.Equal(Ms(50), rto.RttVariance);
        Assert.Equal(Ms(300), rto.Rto);
        rto.AddSample(Ms(100), new SeqNum(1001), new SeqNum(2001));
        // Same round (SND.UNA 1001 is not past 1001): mdev decays to 37.5 ms, RTTVAR holds at 200: still 300 ms
        // (RFC 6298 would give 100 + 4 · 37.5 = 250 ms).
        Assert.Equal(Ms(37.5), rto.RttVariance);
        Assert.Equal(Ms(300), rto.Rto);
    }

    [Fact]
    public void Linux_formula_damps_a_falling_rtt_and_follows_a_rising_one()
    {
        var falling = new RtoEstimator { Formula = RtoFormula.Linux };
        falling.AddSample(Ms(100));
        falling.AddSample(Ms(20));
        // m = 20 − 100 = −80: SRTT 90; |m| − mdev = 80 − 50 = 30, an eighth of it: mdev4 = 200 + 3.75 = 203.75 ms,
        // which becomes RTTVAR: RTO = 90 + 203.75, rounded up to the jiffy: 294 ms (RFC 6298: 320 ms).
        Assert.Equal(Ms(90), falling.SmoothedRtt);
        Assert.Equal(Ms(294), falling.Rto);

        var rising = new RtoEstimator { Formula = RtoFormula.Linux };
        rising.AddSample(Ms(100));
        rising.AddSample(Ms(500));
        // m = 400: SRTT 150; mdev4 = 200 + 400 − 50 = 550 ms = RTTVAR: RTO 700 ms.
        Assert.Equal(Ms(150), rising.SmoothedRtt);
        Assert.Equal(Ms(700), rising.Rto);
    }

    [Fact]
    public void Linux_formula_decays_rttvar_toward_each_rounds_maximum()
    {
        var rto = new RtoEstimator { Formula = RtoFormula.Linux };
        rto.AddSample(Ms(100));
        rto.AddSample(Ms(500)); // RTTVAR 550 ms, SRTT 150 ms
        rto.AddSample(Ms(150)); // new round: m = 0, mdev4 = 550 − 137.5 = 412.5 < RTTVAR; RTTVAR −= (550 − 412.5) / 4
        // RTTVAR = 550 − 34.375 = 515.625 ms: RTO = 150 + 515.625 → 666 ms.
        Assert.Equal(Ms(666), rto.Rto);
    }
}
