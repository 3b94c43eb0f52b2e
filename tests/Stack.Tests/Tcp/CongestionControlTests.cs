using Stack.Link.Devices.Impairment;
using Stack.Link.Time;
using Stack.Tcp;
using Stack.Tcp.Congestion;

namespace Stack.Tests.Tcp;

public sealed class CongestionControlTests
{
    private const int Mss = 1000;
    private static readonly Instant T0 = Instant.FromMilliseconds(1000);

    [Fact]
    public void Cubic_is_reno_friendly_when_the_rtt_is_short()
    {
        var cc = new Cubic();
        cc.Start(Mss, 100);
        cc.OnCongestionEvent(100 * Mss, T0);
        var rtt = TimeSpan.FromMilliseconds(1);
        Instant now = T0;
        for (int i = 0; i < 100; i++)
        {
            now += rtt;
            cc.OnAck(cc.Cwnd, rtt, now);
        }
        // 0.1 s of a 4.2 s K: the cubic curve has barely moved; the Reno-friendly window grew ~0.53 per RTT.
        Assert.InRange(cc.Cwnd, 115 * Mss, 130 * Mss);
    }

    [Theory]
    [InlineData(CongestionControlKind.NewReno)]
    [InlineData(CongestionControlKind.Cubic)]
    public void Slow_start_doubles_per_round_trip_even_with_delayed_acks(CongestionControlKind kind)
    {
        var cc = CongestionControl.Create(kind);
        cc.Start(Mss, 10);
        Assert.Equal(10 * Mss, cc.Cwnd);
        for (int i = 0; i < 5; i++) cc.OnAck(2 * Mss, TimeSpan.FromMilliseconds(10), T0); // ACK every second segment.
        Assert.Equal(20 * Mss, cc.Cwnd);
    }

    [Fact]
    public void NewReno_halves_on_loss_and_grows_one_segment_per_window()
    {
        var cc = new NewReno();
        cc.Start(Mss, 10);
        cc.OnCongestionEvent(20 * Mss, T0);
        Assert.Equal(10 * Mss, cc.Ssthresh);
        Assert.Equal(10 * Mss, cc.Cwnd);
        for (int i = 0; i < 10; i++) cc.OnAck(Mss, null, T0);
        Assert.Equal(11 * Mss, cc.Cwnd);
        cc.OnTimeout(11 * Mss, T0);
        Assert.Equal(Mss, cc.Cwnd);
        Assert.Equal(5500, cc.Ssthresh);
    }

    [Fact]
    public void Cubic_drops_to_seven_tenths_and_regrows_to_the_old_window_in_about_k_seconds()
    {
        var cc = new Cubic();
        cc.Start(Mss, 100);
        cc.OnCongestionEvent(100 * Mss, T0);
        Assert.Equal(70 * Mss, cc.Cwnd); // β = 717/1024 of 100 segments, in whole segments as Linux computes 0.7.
        // K = cbrt(W_max (1 - beta) / C) = cbrt(100 * 0.3 / 0.4) ≈ 4.2 s. ACK a window per 100 ms RTT: long
        // enough that the cubic curve, not the Reno-friendly estimate (+0.53 segment per RTT), leads.
        var rtt = TimeSpan.FromMilliseconds(100);
        Instant now = T0;
        while (now - T0 < TimeSpan.FromSeconds(3.5))
        {
            now += rtt;
            cc.OnAck(cc.Cwnd, rtt, now);
        }
        Assert.InRange(cc.Cwnd, 90 * Mss, 100 * Mss); // Concave: close to W_max, not past it.
        while (now - T0 < TimeSpan.FromSeconds(6))
        {
            now += rtt;
            cc.OnAck(cc.Cwnd, rtt, now);
        }
        Assert.True(cc.Cwnd > 100 * Mss, $"convex past W_max: {cc.Cwnd}");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void NewReno_without_sack_also_delivers_through_an_impaired_link(int seed)
    {
        var config = TcpConfig.Default with { CongestionControl = CongestionControlKind.NewReno, Sack = false };
        var result = ImpairedTransferTests.Transfer(seed, 4 << 20, config,
            new ImpairmentSpec { Loss = 0.05, Duplicate = 0.02, Reorder = 0.05, Seed = seed });
        Assert.Equal(result.Sent, result.Received);
    }
}
