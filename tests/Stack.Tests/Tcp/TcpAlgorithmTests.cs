using Stack.Tcp;
using Stack.Tcp.Wire;
using static Stack.Tests.Tcp.TcpHarness;

namespace Stack.Tests.Tcp;

/// <summary>Issue 7's algorithms seen from one connection: SWS avoidance, SACK blocks, RTT from timestamps.</summary>
public sealed class TcpAlgorithmTests
{
    private static readonly TcpOptions Mss1000 = new() { Mss = 1000 };

    [Fact]
    public void Sender_sws_avoidance_holds_a_sliver_the_window_cuts_off_until_the_persist_timer_sends_it()
    {
        var h = new TcpHarness(TcpConfig.Default with { NoDelay = true });
        var c = h.AcceptOne(h.Listen(), Mss1000);
        h.Inject(TcpFlags.Ack, 1, 1, win: 1500); // Largest window seen: 1500.
        Assert.Equal(5000, c.Send(Pattern(5000), h.Now));
        h.Expect(". 1:1001(1000) ack 1 **");
        h.ExpectNothing(); // 500 bytes would fit: less than an MSS and less than half of 1500, with data in flight.

        h.Inject(TcpFlags.Ack, 1, 1001, win: 1500);
        h.Expect(". 1001:2001(1000) ack 1 **");
        h.ExpectNothing();

        // With nothing in flight the sliver still waits: as Linux (tcp_snd_wnd_test), the persist timer, not the
        // ACK, sends what fits, with PSH (tcp_write_wakeup), so a small window cannot stall the sender.
        h.Inject(TcpFlags.Ack, 1, 2001, win: 500);
        h.ExpectNothing();
        h.Advance(TimeSpan.FromMilliseconds(200));
        h.Expect("P. 2001:2501(500) ack 1 **");
    }

    [Fact]
    public void Out_of_order_data_is_answered_with_sack_blocks_most_recent_first_three_beside_timestamps()
    {
        var h = new TcpHarness();
        var c = h.AcceptOne(h.Listen()); // A Linux SYN: sackOK and timestamps.
        Assert.True(c.SackEnabled);
        uint[] starts = [1001, 3001, 5001, 7001];
        uint ts = 200;
        foreach (uint s in starts)
        {
            h.Inject(TcpFlags.Ack, s, 1, options: Ts(ts++, 0), data: Pattern(500));
            h.Next();
        }
        h.Inject(TcpFlags.Ack, 7501, 1, options: Ts(ts, 0), data: Pattern(500));
        var ack = h.Next();
        Assert.Equal(1u, ack.RelAck);
        Assert.Equal(3, ack.Options.SackBlockCount);
        Assert.Equal((Abs(h, 7001), Abs(h, 8001)), ack.Options.GetSackBlock(0)); // Extended last: first.
        Assert.Equal((Abs(h, 5001), Abs(h, 5501)), ack.Options.GetSackBlock(1));
        Assert.Equal((Abs(h, 3001), Abs(h, 3501)), ack.Options.GetSackBlock(2));
    }

    [Fact]
    public void Data_segments_carrying_sack_blocks_shrink_their_payload_to_fit_the_mtu()
    {
        var h = new TcpHarness(TcpConfig.Default with { NoDelay = true });
        var c = h.AcceptOne(h.Listen()); // MSS 1460, timestamps: 1448 bytes a segment.
        h.Inject(TcpFlags.Ack, 1001, 1, options: Ts(200, 0), data: Pattern(100)); // Held out of order.
        h.Next();
        c.Send(Pattern(3000), h.Now);
        var first = h.Next();
        Assert.Equal(1, first.Options.SackBlockCount);
        Assert.Equal(1448 - (4 + 8), first.Payload.Length); // As Linux's tcp_current_mss.
        Assert.Equal(20 + 12 + 12 + 1436, first.Repr.HeaderLength + first.Payload.Length); // 1480: an IPv4 MTU of 1500.

        while (h.SentCount > 0)
        {
            Assert.Equal(1, h.Next().Options.SackBlockCount);
        }
        h.Inject(TcpFlags.Ack, 1, 1, options: Ts(201, 0), data: Pattern(1000)); // Fills the gap.
        Assert.Equal(0, h.Next().Options.SackBlockCount);
    }

    [Fact]
    public void After_a_timeout_pure_acks_carry_the_highest_sequence_sent_not_snd_una()
    {
        var h = new TcpHarness(TcpConfig.Default with { NoDelay = true });
        var c = h.AcceptOne(h.Listen(), Mss1000);
        h.Inject(TcpFlags.Ack, 1, 1, win: 65535);
        c.Send(Pattern(3000), h.Now);
        h.Expect(". 1:1001(1000) ack 1 **");
        h.Expect(". 1001:2001(1000) ack 1 **");
        h.Expect("P. 2001:3001(1000) ack 1 **");
        h.Advance(c.Rto);
        h.Expect(". 1:1001(1000) ack 1 **"); // Back to SND.UNA, one segment (cwnd = 1 MSS).
        // The peer's data: our ACK of it must not say seq 1001, which the peer (holding all 3000 bytes, its
        // ACKs lost) would drop as an old segment.
        h.Inject(TcpFlags.Psh | TcpFlags.Ack, 1, 1, data: Pattern(100));
        h.Advance(TcpConnection.DelayedAckTimeout);
        h.Expect(". 3001:3001(0) ack 101 **");
    }

    [Fact]
    public void The_window_closes_to_zero_when_the_buffer_fills_despite_scaling_granularity()
    {
        // A 4000-byte buffer with window scale 7 (128-byte units) and 1000-byte segments the application does
        // not read: rounding must not let the right edge creep past the buffer.
        var h = new TcpHarness(TcpConfig.Default with { ReceiveBufferSize = 4000, QuickAck = true });
        h.AcceptOne(h.Listen(), LinuxSyn() with { HasTimestamps = false });
        Seg last = null!;
        for (uint i = 0; i < 4; i++)
        {
            h.Inject(TcpFlags.Ack, 1 + i * 1000, 1, data: Pattern(1000));
            last = h.Next();
        }
        Assert.Equal(4001u, last.RelAck);
        Assert.Equal(0, last.Window);
    }

    [Fact]
    public void A_fast_retransmit_resends_only_what_was_sent_not_data_queued_since()
    {
        // The last segment sent was short (the window allowed 500 bytes); 3000 more bytes wait behind it. The
        // retransmission must stop at SND.MAX: bytes past it are new data the sender does not count as sent, and
        // the peer's ACK of them would later look like an ACK of something not yet sent (found by a 10%-loss echo).
        var h = new TcpHarness(TcpConfig.Default with { NoDelay = true });
        var c = h.AcceptOne(h.Listen(), Mss1000);
        h.Inject(TcpFlags.Ack, 1, 1, win: 500);
        Assert.Equal(3500, c.Send(Pattern(3500), h.Now));
        h.ExpectNothing(); // Linux tcp_snd_wnd_test: a full segment does not fit; the persist timer sends 500.
        h.Advance(TimeSpan.FromMilliseconds(200));
        h.Expect("P. 1:501(500) ack 1 **");
        h.ExpectNothing();
        for (int i = 0; i < 3; i++)
        {
            h.Inject(TcpFlags.Ack, 1, 1, win: 500);
        }
        h.Expect(". 1:501(500) ack 1 **");
        Assert.Equal(501u - 1 + h.OurIsn + 1, c.SendHighWater.Value);
    }

    private static uint Abs(TcpHarness h, uint rel) => PeerIsn + rel;
}
