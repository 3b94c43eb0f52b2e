using Stack.Link.Time;
using Stack.Tcp;
using Stack.Tcp.Congestion;
using Stack.Tcp.Sending;

namespace Stack.Tests.Tcp.Congestion;

/// <summary>
/// BBR fed synthetic rate samples. A <see cref="Path"/> plays a sender whose ACKs arrive evenly through each
/// 100 ms round trip, two segments each, as many as the path's bandwidth delivers; the samples it builds say
/// that bandwidth, and their PriorDelivered is what had been delivered when the round trip before began (so each
/// round's first ACK, and only it, ends a round for BBR: RateSample.PriorDelivered ≥ the delivered count at the
/// last round start). The <see cref="DeliveryRate"/> is advanced by every ACK so its Delivered matches.
/// </summary>
public sealed class BbrTests
{
    private const int Mss = 1000;
    private const double Bottleneck = 1_600_000; // Bytes per second: with a 100 ms RTT, a BDP of 160 segments.
    private const int BdpSegments = 160;

    // BBR's cwnd target adds three send bursts to the BDP (Linux bbr_quantization_budget); a burst is 1 ms at the
    // pacing rate, at least 2 segments: at 1.6 MB/s × 1.25 at most, 1.98 KB, so 2 segments, 6 in all.
    private const int BudgetSegments = 6;

    private sealed class Path
    {
        public static readonly TimeSpan Rtt = TimeSpan.FromMilliseconds(100);
        public readonly Bbr Bbr = new(seed: 1);
        public readonly DeliveryRate Rate = new();
        public Instant Now = Instant.FromMilliseconds(1000);
        private long _roundPrior; // Delivered when this round's first segment left: after the last round's first ACK.

        public Path() => Bbr.Start(Mss, 10);

        public int CwndSegments => Bbr.Cwnd / Mss;

        /// <summary>
        /// One ACK, <paramref name="step"/> after the last, of <paramref name="acked"/> bytes; its sample runs from
        /// <paramref name="priorDelivered"/> and measures <paramref name="bandwidth"/>.
        /// </summary>
        public RateSample Ack(int acked, double bandwidth, long priorDelivered, TimeSpan step, int pipe,
            RecoveryState state = RecoveryState.Open, int losses = 0, TimeSpan? rtt = null)
        {
            Now += step;
            Rate.OnAck(new AckSample { NewlyAcked = acked }, losses, minRtt: null, Now); // Moves Delivered on.
            long delivered = Rate.Delivered - priorDelivered;
            // The interval in whole ticks, one more than the bandwidth takes, so the sample is a hair under it: the
            // BDP in segments is rounded up, and a hair over 160 (1.6e6 = 2000 B / 1.25 ms is 1600000.0000000002
            // in floating point) would make it 161.
            var interval = TimeSpan.FromTicks((long)Math.Ceiling(delivered / bandwidth * TimeSpan.TicksPerSecond) + 1);
            var rs = new RateSample(delivered, interval, AppLimited: false,
                priorDelivered, acked, losses, pipe + acked, rtt ?? Rtt);
            Bbr.OnRateSample(rs, state, pipe, Rate, Now);
            return rs;
        }

        /// <summary>A round trip of ACKs at <paramref name="bandwidth"/>; the pipe stays at cwnd unless given.</summary>
        public void Round(double bandwidth, int? pipe = null, RecoveryState state = RecoveryState.Open,
            Action? afterEachAck = null, Func<bool>? stopWhen = null)
        {
            int acks = (int)Math.Round(bandwidth * Rtt.TotalSeconds / (2 * Mss));
            long prior = _roundPrior;
            for (int i = 0; i < acks; i++)
            {
                Ack(2 * Mss, bandwidth, prior, Rtt / acks, pipe ?? Bbr.Cwnd, state);
                if (i == 0)
                {
                    _roundPrior = Rate.Delivered;
                }
                afterEachAck?.Invoke();
                if (stopWhen?.Invoke() == true)
                {
                    return;
                }
            }
        }

        /// <summary>ProbeBW rounds until the mode changes; returns just after the ACK that changed it.</summary>
        public void RunWhileIn(string mode)
        {
            while (Bbr.ModeName == mode)
            {
                Round(Bottleneck, stopWhen: () => Bbr.ModeName != mode);
            }
        }

        /// <summary>A sample's PriorDelivered that ends a round now: the segment left after the last round began.</summary>
        public long RoundEndingPrior() => Rate.Delivered;

        /// <summary>A sample's PriorDelivered inside the current round.</summary>
        public long MidRoundPrior() => _roundPrior - 1;

        /// <summary>Startup doubling from the initial window until the pipe (1.6 MB/s) is full.</summary>
        public void Startup()
        {
            for (double bw = 100_000; bw <= Bottleneck; bw *= 2)
            {
                Round(bw);
            }
        }

        /// <summary>Startup, the three rounds of plateau, Drain with the queue gone, then ProbeBW rounds.</summary>
        public void ToProbeBw(int rounds = 3)
        {
            Startup();
            for (int i = 0; i < 3; i++) Round(Bottleneck);
            Round(Bottleneck, pipe: BdpSegments * Mss);
            Assert.Equal("ProbeBw", Bbr.ModeName);
            for (int i = 0; i < rounds; i++) Round(Bottleneck);
        }
    }

    /// <summary>The ProbeBW cwnd: 2 BDP + the send-burst budget + the ACK aggregation seen (one ACK, 2 segments),
    /// + 2 in the probing phase (Linux bbr_quantization_budget).</summary>
    private static void AssertProbeBwCwnd(Path path) =>
        Assert.InRange(path.CwndSegments, 2 * BdpSegments + BudgetSegments, 2 * BdpSegments + BudgetSegments + 2 + 2);

    /// <summary>Within 0.01 %: a sample's interval is whole ticks, so its rate is not exactly the one asked for.</summary>
    private static void AssertNear(double expected, double actual) =>
        Assert.InRange(actual, expected * 0.9999, expected * 1.0001);

    [Fact]
    public void Startup_grows_cwnd_by_what_is_acked_and_paces_at_2_ln2_times_the_bandwidth()
    {
        var path = new Path();
        Assert.Equal(10 * Mss, path.Bbr.Cwnd);
        double bw = 100_000; // The initial window per RTT.
        for (int round = 0; round < 4; round++, bw *= 2)
        {
            path.Round(bw, afterEachAck: () =>
            {
                // 2/ln 2 (Linux's 739/256 ≈ 2.887), less the 1 % pacing margin: at least 2.85 × the estimate.
                Assert.True(path.Bbr.PacingRate >= 2.85 * path.Bbr.BottleneckBandwidth,
                    $"pacing {path.Bbr.PacingRate} for bandwidth {path.Bbr.BottleneckBandwidth}");
            });
            // Each ACK added what it acknowledged: the window doubles per round trip, as slow start.
            Assert.Equal(20 * Mss << round, path.Bbr.Cwnd);
            Assert.Equal("Startup", path.Bbr.ModeName);
            AssertNear(bw, path.Bbr.BottleneckBandwidth);
        }
        Assert.Equal(Path.Rtt, path.Bbr.MinRtt);
    }

    [Fact]
    public void Startup_cwnd_stops_at_its_gain_times_the_bdp_while_the_bandwidth_has_not_grown()
    {
        var path = new Path();
        path.Startup();
        path.Round(Bottleneck);
        // Linux's 739/256 × 160 = 461.9 → 462 segments, + 3 bursts of 4 (1 ms at ~4.6 MB/s), even already: 474.
        Assert.Equal(474, path.CwndSegments);
    }

    [Fact]
    public void Three_rounds_without_25_percent_more_bandwidth_end_startup_then_drain_until_the_pipe_holds_a_bdp()
    {
        var path = new Path();
        path.Startup();
        path.Round(Bottleneck);
        path.Round(Bottleneck);
        Assert.Equal("Startup", path.Bbr.ModeName); // Two rounds of plateau are not enough.
        path.Round(Bottleneck);
        Assert.Equal("Drain", path.Bbr.ModeName); // The queue Startup built is still there (pipe = cwnd).
        Assert.True(path.Bbr.PacingRate < Bottleneck / 2, $"Drain paces below the bandwidth: {path.Bbr.PacingRate}");
        // Linux sets ssthresh to the BDP plus budget (Startup's 4.6 MB/s pacing: bursts of 4), for reporting.
        Assert.InRange(path.Bbr.Ssthresh, BdpSegments * Mss, (BdpSegments + 3 * 4) * Mss);

        // Drain ends once the pipe holds no more than the BDP + budget (Drain's ~0.55 MB/s pacing: 2-segment bursts).
        long prior = path.MidRoundPrior();
        path.Ack(2 * Mss, Bottleneck, prior, TimeSpan.FromMilliseconds(1.25), (BdpSegments + BudgetSegments + 1) * Mss);
        Assert.Equal("Drain", path.Bbr.ModeName);
        path.Ack(2 * Mss, Bottleneck, prior, TimeSpan.FromMilliseconds(1.25), (BdpSegments + BudgetSegments) * Mss);
        Assert.Equal("ProbeBw", path.Bbr.ModeName);

        // Now that the pipe was filled, cwnd is cut to the ProbeBW target: 2 BDP + budget, not Startup's 2.89 BDP.
        path.Round(Bottleneck);
        AssertProbeBwCwnd(path);
        AssertNear(Bottleneck, path.Bbr.BottleneckBandwidth);
    }

    [Fact]
    public void ProbeBw_paces_near_the_bandwidth_cycling_through_the_probe_and_drain_gains()
    {
        var path = new Path();
        path.ToProbeBw();
        var ratios = new HashSet<double>();
        for (int round = 0; round < 16; round++)
        {
            path.Round(Bottleneck, afterEachAck: () => ratios.Add(Math.Round(path.Bbr.PacingRate / Bottleneck, 4)));
            AssertProbeBwCwnd(path);
        }
        // Gains 1.25, 0.75 and 1, each less the 1 % margin; a phase lasts a min RTT, so 16 RTTs see all three.
        Assert.Equal([0.7425, 0.99, 1.2375], ratios.Order());
    }

    [Fact]
    public void In_ProbeBw_random_losses_take_only_themselves_off_cwnd_and_it_regrows_to_the_target()
    {
        var path = new Path();
        path.ToProbeBw();
        int before = path.Bbr.Cwnd;
        // An ACK that finds 10 segments lost, outside recovery (the connection's Disorder: RACK not yet sure).
        path.Ack(2 * Mss, Bottleneck, path.MidRoundPrior(), TimeSpan.FromMilliseconds(1.25), path.Bbr.Cwnd,
            RecoveryState.Disorder, losses: 10 * Mss);
        // Linux bbr_set_cwnd_to_recover_or_restore: cwnd − losses, then + acked. A loss-based algorithm would cut
        // by 30 % (CUBIC) or half (Reno) here; BBR's model, and so its target, is untouched.
        Assert.Equal(before - 10 * Mss + 2 * Mss, path.Bbr.Cwnd);
        AssertNear(Bottleneck, path.Bbr.BottleneckBandwidth);
        path.Round(Bottleneck);
        AssertProbeBwCwnd(path);
    }

    [Fact]
    public void Recovery_conserves_packets_for_its_first_round_and_leaving_it_restores_the_cwnd_from_before()
    {
        var path = new Path();
        path.ToProbeBw();
        int before = path.Bbr.Cwnd;
        path.Bbr.OnCongestionEvent(before, path.Now); // Linux calls ssthresh() first: BBR notes cwnd.
        path.Bbr.OnStateChange(RecoveryState.Recovery);

        var step = TimeSpan.FromMilliseconds(1.25);
        path.Ack(2 * Mss, Bottleneck, path.MidRoundPrior(), step, 100 * Mss, RecoveryState.Recovery, losses: 20 * Mss);
        Assert.Equal(100 * Mss + 2 * Mss, path.Bbr.Cwnd); // pipe + acked: one out for each one that left.

        // Still the first round: cwnd follows the pipe up (it never falls below pipe + acked), and no further.
        path.Ack(2 * Mss, Bottleneck, path.MidRoundPrior(), step, 103 * Mss, RecoveryState.Recovery);
        Assert.Equal(105 * Mss, path.Bbr.Cwnd);
        path.Ack(2 * Mss, Bottleneck, path.MidRoundPrior(), step, 90 * Mss, RecoveryState.Recovery);
        Assert.Equal(105 * Mss, path.Bbr.Cwnd);

        // A segment sent after recovery began is delivered: the round is over and cwnd grows by what is acked.
        path.Ack(2 * Mss, Bottleneck, path.RoundEndingPrior(), step, 90 * Mss, RecoveryState.Recovery);
        Assert.Equal(107 * Mss, path.Bbr.Cwnd);

        // Recovery ends: back to the cwnd noted when it began (bounded by the ProbeBW target).
        path.Ack(2 * Mss, Bottleneck, path.MidRoundPrior(), step, 90 * Mss, RecoveryState.Open);
        AssertProbeBwCwnd(path);
        Assert.InRange(path.Bbr.Cwnd, before - 2 * Mss, before + 2 * Mss); // The target moves by 2 with the phase.
    }

    [Fact]
    public void A_timeout_restores_the_cwnd_from_before_when_the_loss_state_ends()
    {
        var path = new Path();
        path.ToProbeBw();
        int before = path.Bbr.Cwnd;
        path.Bbr.OnTimeout(before, path.Now);
        path.Bbr.OnStateChange(RecoveryState.Loss);
        path.Bbr.Cwnd = Mss; // The connection sets pipe + 1 segment.
        var step = TimeSpan.FromMilliseconds(1.25);
        path.Ack(Mss, Bottleneck, path.MidRoundPrior(), step, 0, RecoveryState.Loss);
        Assert.True(path.Bbr.Cwnd < 10 * Mss, $"the loss state grows from the pipe: {path.Bbr.Cwnd}");
        path.Ack(Mss, Bottleneck, path.MidRoundPrior(), step, 0, RecoveryState.Open);
        Assert.InRange(path.Bbr.Cwnd, before - 2 * Mss, before + 2 * Mss);
    }

    [Fact]
    public void A_timeout_restarts_the_search_for_the_bandwidth_plateau()
    {
        var path = new Path();
        path.Startup();
        path.Round(Bottleneck);
        path.Round(Bottleneck);
        // Two rounds of plateau counted; without the timeout the next one would end Startup.
        path.Bbr.OnStateChange(RecoveryState.Loss);
        path.Round(Bottleneck); // Takes the estimate afresh as the plateau to beat: the count starts over.
        path.Round(Bottleneck);
        path.Round(Bottleneck);
        Assert.Equal("Startup", path.Bbr.ModeName);
        path.Round(Bottleneck);
        Assert.Equal("Drain", path.Bbr.ModeName);

        var control = new Path();
        control.Startup();
        for (int i = 0; i < 3; i++) control.Round(Bottleneck);
        Assert.Equal("Drain", control.Bbr.ModeName);
    }

    [Fact]
    public void After_10_s_without_a_lower_rtt_ProbeRtt_holds_four_segments_for_200_ms_and_a_round_then_restores_cwnd()
    {
        var path = new Path();
        Instant lowest = path.Now + TimeSpan.FromMilliseconds(20); // The first sample set the min RTT (the first ACK).
        path.ToProbeBw();
        int cwnd = path.Bbr.Cwnd;

        // Every sample since has the same RTT, none lower: the min RTT ages out 10 s after it was taken.
        path.RunWhileIn("ProbeBw");
        Assert.Equal("ProbeRtt", path.Bbr.ModeName);
        Assert.InRange(path.Now - lowest, TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(10.1));
        Assert.True(path.Bbr.Cwnd <= 4 * Mss, $"cwnd {path.Bbr.Cwnd}");
        Assert.True(path.Rate.IsAppLimited); // Its low rates are not the path's: samples are marked.

        var step = TimeSpan.FromMilliseconds(25);
        long prior = path.MidRoundPrior();
        path.Ack(Mss, Bottleneck, prior, step, 10 * Mss); // The queue drains: 10 segments are still out.
        path.Ack(Mss, Bottleneck, prior, step, 4 * Mss); // Down to 4: the 200 ms start now.
        Instant drained = path.Now;
        long drainedDelivered = path.Rate.Delivered;
        while (path.Now - drained < TimeSpan.FromMilliseconds(300))
        {
            // Samples from before the dip began: no round has passed, so 200 ms alone do not end it.
            path.Ack(Mss, Bottleneck, prior, step, 4 * Mss);
            Assert.Equal("ProbeRtt", path.Bbr.ModeName);
            Assert.True(path.Bbr.Cwnd <= 4 * Mss);
        }
        path.Ack(Mss, Bottleneck, drainedDelivered, step, 4 * Mss); // A segment sent in the dip is delivered.
        Assert.Equal("ProbeBw", path.Bbr.ModeName);
        Assert.True(path.Bbr.Cwnd >= cwnd - 2 * Mss, $"restored {path.Bbr.Cwnd} of {cwnd}");
    }

    [Fact]
    public void ProbeRtt_lasts_200_ms_even_when_a_round_passes_sooner()
    {
        var path = new Path();
        path.ToProbeBw();
        path.RunWhileIn("ProbeBw");
        var step = TimeSpan.FromMilliseconds(25);
        path.Ack(Mss, Bottleneck, path.MidRoundPrior(), step, 4 * Mss);
        Instant drained = path.Now;
        while (path.Bbr.ModeName == "ProbeRtt")
        {
            path.Ack(Mss, Bottleneck, path.RoundEndingPrior(), step, 4 * Mss); // Every ACK ends a round.
            Assert.True(path.Now - drained <= TimeSpan.FromMilliseconds(225), $"still probing at {path.Now - drained}");
        }
        Assert.True(path.Now - drained > TimeSpan.FromMilliseconds(200), $"left after {path.Now - drained}");
    }

    [Fact]
    public void A_lower_rtt_postpones_ProbeRtt_by_a_full_window()
    {
        var path = new Path();
        path.ToProbeBw();
        Instant start = path.Now;
        while (path.Now - start < TimeSpan.FromSeconds(5))
        {
            path.Round(Bottleneck);
        }
        path.Ack(2 * Mss, Bottleneck, path.MidRoundPrior(), TimeSpan.FromMilliseconds(1.25), path.Bbr.Cwnd,
            rtt: TimeSpan.FromMilliseconds(90));
        Instant lower = path.Now;
        Assert.Equal(TimeSpan.FromMilliseconds(90), path.Bbr.MinRtt);
        path.RunWhileIn("ProbeBw");
        Assert.InRange(path.Now - lower, TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(10.1));
    }
}
