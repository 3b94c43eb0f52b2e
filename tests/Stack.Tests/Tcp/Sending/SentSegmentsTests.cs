using Stack.Link.Time;
using Stack.Tcp;
using Stack.Tcp.Sending;

namespace Stack.Tests.Tcp.Sending;

public sealed class SentSegmentsTests
{
    private static readonly Instant T0 = Instant.FromMilliseconds(1000);

    private static SentSegments TenSegments()
    {
        var s = new SentSegments();
        for (int i = 0; i < 10; i++)
        {
            s.Append(new SeqNum((uint)(1 + i * 1000)), new SeqNum((uint)(1001 + i * 1000)), fin: false, T0);
        }
        return s;
    }

    [Fact]
    public void Pipe_counts_outstanding_less_sacked_less_lost_plus_resends_in_flight()
    {
        var s = TenSegments();
        Assert.Equal(10_000, s.InFlight);
        var sample = default(AckSample);
        Assert.Equal(3000, s.Sack(new SeqNum(2001), new SeqNum(5001), ref sample));
        s.MarkLost(0);
        Assert.Equal((3000, 1000, 0), (s.SackedBytes, s.LostBytes, s.RetransmittedBytes));
        Assert.Equal(6000, s.InFlight);
        s.MarkRetransmitted(0, T0 + TimeSpan.FromMilliseconds(5));
        Assert.Equal(7000, s.InFlight);
        Assert.True(s[0].IsLost && s[0].IsRetransmitted && !s[0].NeedsRetransmission);
    }

    [Fact]
    public void A_sack_block_sacks_only_the_segments_it_covers_whole()
    {
        // Linux tcp_match_skb_to_sack: a block is rounded to whole segments; a piece of one SACKs nothing.
        var s = TenSegments();
        var sample = default(AckSample);
        Assert.Equal(0, s.Sack(new SeqNum(1501), new SeqNum(2501), ref sample));
        Assert.Equal(1000, s.Sack(new SeqNum(1501), new SeqNum(3501), ref sample));
        Assert.Equal(10, s.Count);
        Assert.True(s[2].IsSacked && !s[1].IsSacked && !s[3].IsSacked);
        Assert.Equal(1000, sample.NewlySacked);
        Assert.Equal(0, s.Sack(new SeqNum(1501), new SeqNum(3501), ref sample)); // Nothing new the second time.
    }

    [Fact]
    public void A_hole_filled_below_sacks_of_the_same_ack_is_not_reordering()
    {
        // Linux tcp_clean_rtx_queue compares with prior_fack, the highest SACK before this ACK.
        var s = TenSegments();
        var sample = new AckSample { PriorHighSacked = s.HighSacked };
        s.Sack(new SeqNum(3001), new SeqNum(4001), ref sample);
        s.AckTo(new SeqNum(2001), ref sample);
        Assert.False(sample.ReorderingSeen);
        sample = new AckSample { PriorHighSacked = s.HighSacked };
        s.AckTo(new SeqNum(3001), ref sample);
        Assert.True(sample.ReorderingSeen); // Below a SACK an earlier ACK brought: reordered.
    }

    [Fact]
    public void The_cumulative_ack_removes_and_trims_and_says_what_it_delivered()
    {
        var s = TenSegments();
        var sample = default(AckSample);
        s.Sack(new SeqNum(2001), new SeqNum(3001), ref sample);
        sample = default;
        s.AckTo(new SeqNum(3501), ref sample);
        Assert.Equal(2500, sample.NewlyAcked); // The SACKed segment was delivered before, not by this ACK.
        Assert.Equal(new SeqNum(3501), s.Start);
        Assert.Equal(6500, s.Outstanding);
        Assert.Equal(0, s.SackedBytes);
        Assert.True(sample.OriginalDelivered && sample.HasOldestAcked);
    }

    [Fact]
    public void A_resend_found_lost_again_is_to_be_resent_and_counted()
    {
        var s = TenSegments();
        s.MarkLost(0);
        s.MarkRetransmitted(0, T0);
        Assert.False(s.MarkLost(1)); // First loss of another segment.
        Assert.True(s.MarkLost(0));  // The resend of the first is lost.
        Assert.True(s[0].NeedsRetransmission);
        Assert.Equal(1, s.LostRetransmissions);
        Assert.Equal(0, s.RetransmittedBytes);
    }

    [Fact]
    public void Delivery_below_something_sacked_before_is_reordering_with_its_distance()
    {
        var s = TenSegments();
        var sample = default(AckSample);
        s.Sack(new SeqNum(5001), new SeqNum(6001), ref sample);
        Assert.False(sample.ReorderingSeen);
        sample = default;
        s.Sack(new SeqNum(2001), new SeqNum(3001), ref sample);
        Assert.True(sample.ReorderingSeen);
        Assert.Equal(4000, sample.ReorderingDistance);
    }

    [Fact]
    public void Growing_past_the_first_ring_keeps_every_record()
    {
        var s = new SentSegments();
        for (int i = 0; i < 1000; i++)
        {
            s.Append(new SeqNum((uint)(i * 10)), new SeqNum((uint)(i * 10 + 10)), fin: false, T0);
        }
        var sample = default(AckSample);
        s.AckTo(new SeqNum(5000), ref sample);
        for (int i = 1000; i < 1500; i++)
        {
            s.Append(new SeqNum((uint)(i * 10)), new SeqNum((uint)(i * 10 + 10)), fin: false, T0);
        }
        Assert.Equal(1000, s.Count);
        Assert.Equal(new SeqNum(5000), s.Start);
        Assert.Equal(new SeqNum(15000), s.End);
        Assert.Equal(700, s.IndexOf(new SeqNum(12005)));
    }
}
