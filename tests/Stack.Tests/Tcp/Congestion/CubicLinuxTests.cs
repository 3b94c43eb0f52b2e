using Stack.Link.Time;
using Stack.Tcp;
using Stack.Tcp.Congestion;

namespace Stack.Tests.Tcp.Congestion;

/// <summary>CUBIC's fixed-point arithmetic and HyStart against numbers worked out by hand from tcp_cubic.c.</summary>
public sealed class CubicLinuxTests
{
    private const int Mss = 1000;
    private static readonly Instant T0 = Instant.FromMilliseconds(1000);

    private static Instant Ms(long ms) => T0 + TimeSpan.FromMilliseconds(ms);

    [Theory]
    [InlineData(0UL, 0U)]
    [InlineData(27UL, 3U)]
    [InlineData(1000UL, 10U)]
    [InlineData(1UL << 30, 1024U)]
    // cube_factor = 2^40 / 410 = 2681735677; K for W_max − cwnd = 3 and 30 segments (exact: 2003.76, 4316.97).
    [InlineData(3 * 2681735677UL, 2003U)]
    [InlineData(30 * 2681735677UL, 4316U)]
    public void Cube_roots_are_linux_table_and_one_newton_step(ulong a, uint root) =>
        Assert.Equal(root, Cubic.CubeRoot(a));

    [Fact]
    public void After_a_loss_cnt_follows_the_curve_toward_w_max()
    {
        var cc = new Cubic();
        cc.Start(Mss, 100);
        cc.OnCongestionEvent(100 * Mss, T0);
        Assert.Equal(70 * Mss, cc.Ssthresh); // max(100 · 717 / 1024, 2) = 70 segments
        Assert.Equal(100U, cc.LastMaxCwnd);

        cc.OnAck(Mss, null, Ms(1));
        // K = cbrt(2681735677 · 30) = 4316 (1/1024 s); at t = 0 the curve is 100 − (410 · 4316³ >> 40) = 71,
        // so cnt = 70 / (71 − 70) = 70 segments ACKed per segment of growth.
        Assert.Equal(4316U, cc.K);
        Assert.Equal(70U, cc.GrowthCount);

        cc.OnAck(Mss, null, Ms(1001));
        // t = 1024: 100 − (410 · 3292³ >> 40) = 87, cnt = 70 / 17 = 4.
        Assert.Equal(4U, cc.GrowthCount);
    }

    [Fact]
    public void Without_a_loss_known_growth_is_one_segment_per_twenty_acked()
    {
        var cc = new Cubic();
        cc.Start(Mss, 10);
        cc.OnTimeout(10 * Mss, T0); // ssthresh 7; the loss state forgets W_max (bictcp_reset)
        Assert.Equal(7 * Mss, cc.Ssthresh);
        cc.Cwnd = 7 * Mss;
        for (int i = 1; i <= 19; i++)
        {
            cc.OnAck(Mss, null, Ms(i));
        }
        Assert.Equal(7 * Mss, cc.Cwnd);
        Assert.Equal(20U, cc.GrowthCount);
        cc.OnAck(Mss, null, Ms(20));
        Assert.Equal(8 * Mss, cc.Cwnd);
    }

    [Fact]
    public void Hystart_delay_detection_ends_slow_start_when_a_round_is_an_eighth_slower()
    {
        var cc = new Cubic();
        cc.Start(Mss, 10);
        // The first round: 200 ms, the minimum delay; cwnd 10 is under hystart_low_window.
        cc.OnRttSample(TimeSpan.FromMilliseconds(200), new SeqNum(10001), new SeqNum(10001), 0, Ms(200));
        cc.OnAck(10 * Mss, null, Ms(200));
        Assert.Equal(20 * Mss, cc.Cwnd);
        // The next round: every sample 240 ms > 200 + clamp(200/8, 4, 16) = 216 ms. Eight samples are taken
        // first; the ninth checks and sets ssthresh to cwnd (36).
        for (int i = 0; i < 9; i++)
        {
            Assert.Equal(NewRenoMax, cc.Ssthresh);
            var una = new SeqNum((uint)(12001 + 2000 * i));
            cc.OnRttSample(TimeSpan.FromMilliseconds(240 + i), una, new SeqNum(30001), 0, Ms(440 + i));
            cc.OnAck(2 * Mss, null, Ms(440 + i));
        }
        Assert.Equal(36 * Mss, cc.Ssthresh);
        Assert.Equal(36 * Mss, cc.Cwnd);
        Assert.True(cc.HyStart.Found);
    }

    [Fact]
    public void Hystart_ack_train_ends_slow_start_after_half_the_minimum_delay_of_close_acks()
    {
        var cc = new Cubic();
        cc.Start(Mss, 20);
        var nxt = new SeqNum(20001);
        // ACKs 1 ms apart with a 10 ms RTT: the train is longer than 10/2 ms at the sixth.
        for (int i = 0; i <= 5; i++)
        {
            cc.OnRttSample(TimeSpan.FromMilliseconds(10), new SeqNum((uint)(1001 + 1000 * i)), nxt, 0, Ms(10 + i));
            Assert.Equal(NewRenoMax, cc.Ssthresh);
        }
        cc.OnRttSample(TimeSpan.FromMilliseconds(10), new SeqNum(7001), nxt, 0, Ms(16));
        Assert.Equal(20 * Mss, cc.Ssthresh);
    }

    private const int NewRenoMax = 1 << 30;
}
