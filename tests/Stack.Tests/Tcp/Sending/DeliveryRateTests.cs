using Stack.Link.Time;
using Stack.Tcp;
using Stack.Tcp.Sending;

namespace Stack.Tests.Tcp.Sending;

/// <summary>
/// The delivery clock driven by hand as the connection drives it: each segment is stamped by
/// <see cref="DeliveryRate.OnSent"/> as it is appended, each ACK is taken into an <see cref="AckSample"/> and
/// turned into a rate sample from the newest segment it delivered.
/// </summary>
public sealed class DeliveryRateTests
{
    private const int Mss = 1000;
    private static readonly Instant T0 = Instant.FromMilliseconds(1000);
    private static readonly SeqNum Iss = new(1);

    private sealed class Flow
    {
        public readonly SentSegments Segments = new();
        public readonly DeliveryRate Rate = new();
        private int _next;

        /// <summary>The next segment leaves at <paramref name="at"/>, stamped with the clock before it counts in the pipe.</summary>
        public void Send(Instant at)
        {
            SendSnapshot tx = Rate.OnSent(Segments.IsEmpty, at);
            Segments.Append(Iss + _next * Mss, Iss + (_next + 1) * Mss, fin: false, at, tx);
            _next++;
        }

        public void Send(int count, Instant at)
        {
            for (int i = 0; i < count; i++) Send(at);
        }

        /// <summary>A cumulative ACK of the first <paramref name="segments"/> segments arrives at <paramref name="at"/>.</summary>
        public RateSample AckTo(int segments, Instant at, TimeSpan? minRtt = null)
        {
            var sample = new AckSample { PriorInFlight = Segments.InFlight };
            Segments.AckTo(Iss + segments * Mss, ref sample);
            return Rate.OnAck(sample, losses: 0, minRtt, at);
        }

        /// <summary>A SACK of segment <paramref name="index"/> arrives at <paramref name="at"/>.</summary>
        public RateSample Sack(int index, Instant at)
        {
            var sample = new AckSample { PriorInFlight = Segments.InFlight };
            Segments.Sack(Iss + index * Mss, Iss + (index + 1) * Mss, ref sample);
            return Rate.OnAck(sample, losses: 0, minRtt: null, at);
        }
    }

    private static Instant Ms(double ms) => T0 + TimeSpan.FromMilliseconds(ms);

    [Fact]
    public void A_flight_acked_together_measures_what_it_delivered_over_the_ack_interval()
    {
        var flow = new Flow();
        flow.Send(10, T0);
        RateSample rs = flow.AckTo(10, Ms(10));
        // All left at T0 (send interval 0); the clock started at T0, so the ACK interval is 10 ms: 10 000 B / 10 ms.
        Assert.True(rs.IsValid);
        Assert.Equal(10 * Mss, rs.Delivered);
        Assert.Equal(TimeSpan.FromMilliseconds(10), rs.Interval);
        Assert.Equal(1_000_000, rs.BytesPerSecond, precision: 6);
        Assert.Equal(0, rs.PriorDelivered);
        Assert.Equal(10 * Mss, rs.AckedSacked);
        Assert.Equal(10 * Mss, rs.PriorInFlight);
        Assert.Equal(TimeSpan.FromMilliseconds(10), rs.Rtt);
        Assert.Equal(10 * Mss, flow.Rate.Delivered);
    }

    [Fact]
    public void Compressed_acks_do_not_inflate_the_rate_the_send_interval_bounds_it()
    {
        var flow = new Flow();
        flow.Send(2, T0);
        flow.AckTo(1, Ms(10)); // Segment 0 delivered at 10 ms: it was sent at T0.
        for (int i = 0; i < 10; i++) flow.Send(Ms(10 + 2 * i)); // Segments 2..11, one every 2 ms, to 28 ms.
        RateSample rs = flow.AckTo(12, Ms(30)); // 1..11 acknowledged at once, 2 ms after the last left.

        // From segment 11's stamp: the send phase ran from T0 (segment 0, the newest delivered when 11 left) to
        // 28 ms; the ACK phase from 10 ms (the last delivery then) to 30 ms. The longer, 28 ms, over 11 000 bytes.
        // The ACK interval alone (20 ms) would say 550 000 B/s: the ACKs bunched on the way back.
        Assert.Equal(11 * Mss, rs.Delivered);
        Assert.Equal(TimeSpan.FromMilliseconds(28), rs.Interval);
        Assert.Equal(11_000 / 0.028, rs.BytesPerSecond, precision: 6);
        Assert.Equal(Mss, rs.PriorDelivered);
    }

    [Fact]
    public void An_interval_shorter_than_the_minimum_rtt_is_not_a_rate()
    {
        var flow = new Flow();
        flow.Send(10, T0);
        RateSample rs = flow.AckTo(10, Ms(10), minRtt: TimeSpan.FromMilliseconds(20));
        Assert.False(rs.IsValid);
        Assert.Equal(0, rs.BytesPerSecond);
        Assert.Equal(10 * Mss, rs.AckedSacked); // What was delivered still counts, for cwnd and the clock.
        Assert.Equal(10 * Mss, flow.Rate.Delivered);

        var other = new Flow();
        other.Send(10, T0);
        Assert.True(other.AckTo(10, Ms(10), minRtt: TimeSpan.FromMilliseconds(10)).IsValid); // Not shorter: valid.
    }

    [Fact]
    public void An_ack_that_delivers_nothing_gives_an_invalid_sample_and_leaves_the_clock_alone()
    {
        var flow = new Flow();
        flow.Send(2, T0);
        flow.AckTo(1, Ms(10));
        RateSample dup = flow.AckTo(1, Ms(15)); // A duplicate ACK.
        Assert.False(dup.IsValid);
        Assert.Equal(0, dup.AckedSacked);
        Assert.Equal(Mss, flow.Rate.Delivered);

        flow.Send(Ms(15)); // Segment 2, while segment 1 is in flight.
        RateSample rs = flow.AckTo(3, Ms(40));
        // Segment 2's ACK phase starts at the last delivery (10 ms), not the duplicate (15 ms): 30 ms, longer than its
        // send phase (T0 to 15 ms). Linux tcp_rate_gen stamps delivered_mstamp only when the ACK delivered something.
        Assert.Equal(TimeSpan.FromMilliseconds(30), rs.Interval);
        Assert.Equal(2 * Mss, rs.Delivered);
    }

    [Fact]
    public void A_sack_samples_from_the_segment_it_covers_and_the_cumulative_ack_of_it_later_does_not_again()
    {
        var flow = new Flow();
        flow.Send(T0);
        flow.Send(Ms(1));
        flow.Send(Ms(2));
        RateSample sacked = flow.Sack(2, Ms(12)); // Segment 2 (sent at 2 ms) arrives; 0 and 1 are late.
        Assert.Equal(Mss, sacked.Delivered);
        Assert.Equal(TimeSpan.FromMilliseconds(12), sacked.Interval); // ACK phase from T0 (the clock's start).
        Assert.Equal(TimeSpan.FromMilliseconds(10), sacked.Rtt);

        RateSample acked = flow.AckTo(3, Ms(13));
        // Segments 0 and 1 are newly delivered; the SACKed 2 is not counted twice. The newest of 0 and 1 is 1.
        Assert.Equal(2 * Mss, acked.AckedSacked);
        Assert.Equal(3 * Mss, flow.Rate.Delivered);
        Assert.Equal(TimeSpan.FromMilliseconds(12), acked.Rtt);
    }

    [Fact]
    public void The_app_limited_mark_is_carried_in_the_samples_and_clears_once_the_marked_flight_is_delivered()
    {
        var flow = new Flow();
        flow.Send(2, T0);
        flow.Rate.OnApplicationLimited(flow.Segments.InFlight); // Out of data with 2 000 bytes in flight.
        Assert.True(flow.Rate.IsAppLimited);
        flow.Send(Ms(5)); // A little more data: this segment carries the mark.

        RateSample first = flow.AckTo(1, Ms(10));
        Assert.False(first.AppLimited); // Sent before the mark.
        RateSample second = flow.AckTo(2, Ms(11));
        Assert.False(second.AppLimited);
        Assert.True(flow.Rate.IsAppLimited); // 2 000 delivered: not yet beyond the flight that was out.

        RateSample third = flow.AckTo(3, Ms(15));
        Assert.True(third.AppLimited); // Its segment left while the application held the rate down.
        Assert.False(flow.Rate.IsAppLimited); // 3 000 > 2 000: the marked flight is through.

        flow.Send(Ms(15));
        Assert.False(flow.AckTo(4, Ms(25)).AppLimited);
    }

    [Fact]
    public void After_an_idle_period_the_clock_restarts_so_the_idle_time_is_not_counted()
    {
        var flow = new Flow();
        flow.Send(T0);
        flow.AckTo(1, Ms(10));
        flow.Send(Ms(1010)); // A second of idleness: nothing in flight when it leaves.
        RateSample rs = flow.AckTo(2, Ms(1020));
        // Measured from the send at 1010 ms, 1 000 bytes in 10 ms; from the last delivery (10 ms) it would be ~990 B/s.
        Assert.Equal(TimeSpan.FromMilliseconds(10), rs.Interval);
        Assert.Equal(100_000, rs.BytesPerSecond, precision: 6);
        Assert.Equal(Mss, rs.PriorDelivered);
    }
}
