using Stack.Link.Time;
using Stack.Tcp.Sending;

namespace Stack.Tests.Tcp.Sending;

public sealed class PacerTests
{
    private static readonly Instant T0 = Instant.FromMilliseconds(1000);
    private const double Rate = 1_250_000; // 10 Mbit/s: a 1250-byte segment takes exactly 1 ms.
    private const int Segment = 1250;

    [Fact]
    public void The_default_pacer_lets_everything_go()
    {
        var pacer = default(Pacer);
        Assert.True(pacer.MaySend(T0));
        // Unpaced sends (rate 0) never hold the next one back, however many go at one instant.
        for (int i = 0; i < 100; i++)
        {
            pacer.OnSent(64 * 1024, 0, T0);
            Assert.True(pacer.MaySend(T0));
        }
    }

    [Fact]
    public void Each_segment_moves_the_next_departure_by_its_length_over_the_rate()
    {
        var pacer = default(Pacer);
        pacer.OnSent(Segment, Rate, T0);
        Assert.Equal(T0 + TimeSpan.FromMilliseconds(1), pacer.NextDeparture);
        pacer.OnSent(Segment, Rate, T0); // Sent early (inside the horizon): it still costs its full 1 ms.
        Assert.Equal(T0 + TimeSpan.FromMilliseconds(2), pacer.NextDeparture);
        pacer.OnSent(Segment / 2, Rate, T0 + TimeSpan.FromMilliseconds(1));
        Assert.Equal(T0 + TimeSpan.FromMilliseconds(2.5), pacer.NextDeparture);
    }

    [Fact]
    public void A_segment_may_leave_up_to_the_one_millisecond_horizon_ahead_of_its_time()
    {
        var pacer = default(Pacer);
        int sent = 0;
        while (pacer.MaySend(T0))
        {
            pacer.OnSent(Segment / 10, Rate, T0); // 125 bytes: 0.1 ms each.
            sent++;
        }
        // One at T0, then ten more whose departures (0.1 .. 1.0 ms) are within the horizon: 1 ms and a segment.
        Assert.Equal(11, sent);
        Assert.Equal(T0 + TimeSpan.FromMilliseconds(1.1), pacer.NextDeparture);
        Assert.Equal(T0 + TimeSpan.FromMilliseconds(0.1), pacer.WakeAt);
        Assert.False(pacer.MaySend(pacer.WakeAt - TimeSpan.FromMicroseconds(1)));
        Assert.True(pacer.MaySend(pacer.WakeAt));
    }

    [Fact]
    public void No_credit_accumulates_while_idle()
    {
        var pacer = default(Pacer);
        pacer.OnSent(Segment, Rate, T0);
        Instant later = T0 + TimeSpan.FromMilliseconds(100); // 99 ms idle: 99 segments' worth of unused rate.
        int sent = 0;
        while (pacer.MaySend(later))
        {
            pacer.OnSent(Segment, Rate, later);
            sent++;
        }
        // The schedule restarts at the present: the same 1 ms horizon burst as from a fresh start, not 99 more.
        Assert.Equal(2, sent);
        Assert.Equal(later + TimeSpan.FromMilliseconds(2), pacer.NextDeparture);
    }

    [Fact]
    public void Under_fq_a_late_sender_gains_up_to_half_a_packets_time()
    {
        var pacer = default(Pacer);
        pacer.OnSentWithCredit(2 * Segment, Rate, T0);
        // The first ever: the schedule is far behind, so the 2 ms packet counts half (tcp_update_skb_after_send).
        Assert.Equal(T0 + TimeSpan.FromMilliseconds(1), pacer.NextDeparture);
        pacer.OnSentWithCredit(2 * Segment, Rate, T0 + TimeSpan.FromMilliseconds(1));
        Assert.Equal(T0 + TimeSpan.FromMilliseconds(3), pacer.NextDeparture); // on time: no credit
        pacer.OnSentWithCredit(2 * Segment, Rate, T0 + TimeSpan.FromMilliseconds(3.4));
        // 0.4 ms late: 2 − 0.4 = 1.6 ms.
        Assert.Equal(T0 + TimeSpan.FromMilliseconds(5), pacer.NextDeparture);
        pacer.OnSentWithCredit(2 * Segment, 0, T0 + TimeSpan.FromMilliseconds(9));
        Assert.Equal(T0 + TimeSpan.FromMilliseconds(9), pacer.NextDeparture); // unpaced: no time taken
    }
}
