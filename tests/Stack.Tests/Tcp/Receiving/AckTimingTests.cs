using Stack.Link.Time;
using Stack.Tcp.Receiving;

namespace Stack.Tests.Tcp.Receiving;

/// <summary>Linux's delayed-ACK engine in isolation: quick-acks, ping-pong and the ACK timeout.</summary>
public sealed class AckTimingTests
{
    private static readonly TimeSpan Rto = TimeSpan.FromMilliseconds(300);
    private static readonly Instant T0 = Instant.FromMilliseconds(1000);

    private static Instant At(int ms) => T0 + TimeSpan.FromMilliseconds(ms);

    [Theory]
    [InlineData(65535, 1460, 16)] // 22 pairs of segments fit: capped at TCP_MAX_QUICKACKS.
    [InlineData(14600, 1460, 5)]  // tcp_incr_quickack: window / (2 x rcv_mss).
    [InlineData(1000, 1460, 2)]   // Less than a pair: still 2.
    public void The_first_data_starts_quick_ack_mode_for_as_many_acks_as_the_window_holds_pairs(int window, int mss, int quick)
    {
        var t = new AckTiming();
        Assert.False(t.InQuickAckMode);

        t.OnData(At(0), Rto, window, mss);

        Assert.True(t.InQuickAckMode);
        Assert.Equal(quick, t.QuickAcks);
        Assert.Equal(AckTiming.AtoMin, t.Ato);
    }

    [Fact]
    public void Each_ack_of_new_data_uses_one_quick_ack_and_acks_of_nothing_new_none()
    {
        var t = new AckTiming();
        t.OnData(At(0), Rto, 4 * 1000, 1000);
        Assert.Equal(2, t.QuickAcks);

        t.OnAckSent(acknowledgedNewData: false);
        Assert.Equal(2, t.QuickAcks);
        t.OnAckSent(acknowledgedNewData: true);
        t.OnAckSent(acknowledgedNewData: true);

        Assert.False(t.InQuickAckMode);
    }

    [Fact]
    public void An_answer_within_the_timeout_makes_the_connection_interactive_and_a_fired_timer_ends_it()
    {
        var t = new AckTiming();
        t.OnData(At(0), Rto, 65535, 1000);

        t.OnDataSent(At(39)); // Within 40 ms of the data.
        Assert.True(t.PingPong);
        Assert.False(t.InQuickAckMode); // Quick-acks are kept but not used while interactive.
        Assert.Equal(16, t.QuickAcks);

        t.OnTimerFired(Rto);
        Assert.False(t.PingPong);
        Assert.True(t.InQuickAckMode);
    }

    [Fact]
    public void An_answer_after_the_timeout_is_not_interactive()
    {
        var t = new AckTiming();
        t.OnData(At(0), Rto, 65535, 1000);

        t.OnDataSent(At(40));

        Assert.False(t.PingPong);
    }

    [Fact]
    public void The_timeout_follows_the_gaps_between_segments_and_a_missed_timer_doubles_it_up_to_the_rto()
    {
        var t = new AckTiming();
        t.OnData(At(0), Rto, 65535, 1000);

        t.OnData(At(10), Rto, 65535, 1000); // Gap within ato/2: ato/2 + 20 ms.
        Assert.Equal(TimeSpan.FromMilliseconds(40), t.Ato);
        t.OnData(At(40), Rto, 65535, 1000); // Gap of 30 ms < ato: ato/2 + gap.
        Assert.Equal(TimeSpan.FromMilliseconds(50), t.Ato);

        t.OnTimerFired(Rto);
        Assert.Equal(TimeSpan.FromMilliseconds(100), t.Ato);
        t.OnTimerFired(Rto);
        t.OnTimerFired(Rto);
        Assert.Equal(Rto, t.Ato);
    }

    [Fact]
    public void The_delay_is_bounded_by_the_rtt_and_by_200_ms_when_interactive()
    {
        var t = new AckTiming();
        t.OnData(At(0), Rto, 65535, 1000);
        Assert.Equal(AckTiming.AtoMin, t.Delay(smoothedRtt: null));

        t.OnTimerFired(TimeSpan.FromSeconds(3));
        t.OnTimerFired(TimeSpan.FromSeconds(3));
        t.OnTimerFired(TimeSpan.FromSeconds(3)); // ato 320 ms.
        Assert.Equal(TimeSpan.FromMilliseconds(320), t.Delay(smoothedRtt: null));
        Assert.Equal(TimeSpan.FromMilliseconds(100), t.Delay(TimeSpan.FromMilliseconds(100)));
        Assert.Equal(AckTiming.AtoMin, t.Delay(TimeSpan.FromMilliseconds(5))); // Never below 40 ms.

        t.OnData(At(1000), TimeSpan.FromSeconds(3), 65535, 1000);
        t.OnDataSent(At(1001));
        Assert.True(t.PingPong);
        Assert.Equal(AckTiming.DelayMaxInteractive, t.Delay(smoothedRtt: null));
    }

    [Fact]
    public void Data_after_a_silence_longer_than_the_rto_starts_quick_acks_again()
    {
        var t = new AckTiming();
        t.OnData(At(0), Rto, 4000, 1000);
        t.OnAckSent(true);
        t.OnAckSent(true);
        Assert.False(t.InQuickAckMode);

        t.OnData(At(200), Rto, 4000, 1000); // Shorter than the RTO: no.
        Assert.False(t.InQuickAckMode);
        t.OnData(At(600), Rto, 4000, 1000); // 400 ms of silence.
        Assert.True(t.InQuickAckMode);
    }

    [Fact]
    public void A_duplicate_enters_quick_ack_mode_and_leaves_interactive_mode()
    {
        var t = new AckTiming();
        t.OnData(At(0), Rto, 65535, 1000);
        t.OnDataSent(At(1));
        Assert.True(t.PingPong);

        t.EnterQuickAckMode(65535, 1000);

        Assert.False(t.PingPong);
        Assert.True(t.InQuickAckMode);
    }
}
