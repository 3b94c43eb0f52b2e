using System.Net.Sockets;
using Stack.Tcp;
using Stack.Tcp.Wire;
using static Stack.Tests.Tcp.TcpHarness;

namespace Stack.Tests.Tcp;

/// <summary>Data transfer (RFC 9293 §3.8–3.9): segmentation, ACKs, reordering, retransmission, windows.</summary>
public sealed class TcpDataTests
{
    private static readonly TcpOptions NoTs = new() { Mss = 1460 };

    [Fact]
    public void Data_both_ways_is_acknowledged_and_delivered()
    {
        var h = new TcpHarness();
        var c = h.AcceptOne(h.Listen());
        var events = TcpEvents.None;
        c.Notify = (_, e) => events |= e;

        h.Inject(TcpFlags.Psh | TcpFlags.Ack, 1, 1, win: 502, options: Ts(102, 0), data: Pattern(1000));
        h.Advance(TcpConnection.DelayedAckTimeout); // In-order data: the ACK is delayed.
        h.Expect(". 1:1(0) ack 1001 win * <nop,nop,TS val * ecr 102>");
        Assert.True(events.HasFlag(TcpEvents.Readable));
        Assert.True(c.CanRead);
        var buffer = new byte[4000];
        Assert.Equal(1000, c.Receive(buffer, h.Now));
        Assert.Equal(Pattern(1000), buffer[..1000]);
        Assert.Equal(0, c.Receive(buffer, h.Now));
        Assert.False(c.IsEndOfStream);

        // 2000 bytes: one full segment (1448 with timestamps) and the 552-byte tail at once: Nagle as Linux
        // applies it (Minshall) holds a small segment only while another small one is unacknowledged.
        var data = Pattern(2000, seed: 3);
        Assert.Equal(2000, c.Send(data, h.Now));
        var first = h.Expect(". 1:1449(1448) ack 1001 win * <nop,nop,TS val * ecr 102>");
        var second = h.Expect("P. 1449:2001(552) ack 1001 **");
        Assert.Equal(data, first.Payload.Concat(second.Payload).ToArray());

        // A second small write now waits behind the unacknowledged small tail, until its ACK.
        Assert.Equal(10, c.Send(Pattern(10, seed: 4), h.Now));
        h.ExpectNothing();
        h.Inject(TcpFlags.Ack, 1001, 2001, win: 502, options: Ts(104, second.Options.TsVal));
        h.Expect("P. 2001:2011(10) ack 1001 **");
        h.Inject(TcpFlags.Ack, 1001, 2011, win: 502, options: Ts(105, second.Options.TsVal));
        h.ExpectNothing();
        Assert.Equal(0, c.Unacknowledged);
    }

    [Fact]
    public void No_delay_sends_the_small_tail_at_once()
    {
        var h = new TcpHarness(TcpConfig.Default with { NoDelay = true });
        var c = h.AcceptOne(h.Listen());
        c.Send(Pattern(2000), h.Now);
        h.Expect(". 1:1449(1448) **");
        h.Expect("P. 1449:2001(552) **");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Out_of_order_data_is_held_acknowledged_at_once_and_delivered_in_order(bool ipv6)
    {
        var h = new TcpHarness(ipv6: ipv6);
        var c = h.AcceptOne(h.Listen(), NoTs);
        var data = Pattern(3000);

        h.Inject(TcpFlags.Ack, 1001, 1, data: data[1000..2000]);
        h.Expect(". 1:1(0) ack 1 **"); // RFC 5681 §4.2: a duplicate ACK at once for out-of-order data.
        Assert.Equal(0, c.Readable);
        h.Inject(TcpFlags.Ack, 2001, 1, data: data[2000..]);
        h.Expect(". 1:1(0) ack 1 **");
        h.Inject(TcpFlags.Ack, 1, 1, data: data[..1000]);
        h.Expect(". 1:1(0) ack 3001 **");

        // A duplicate is dropped and re-acknowledged.
        h.Inject(TcpFlags.Ack, 1, 1, data: data[..1000]);
        h.Expect(". 1:1(0) ack 3001 **");

        var buffer = new byte[5000];
        Assert.Equal(3000, c.Receive(buffer, h.Now));
        Assert.Equal(data, buffer[..3000]);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Retransmission_timeout_backs_off_exponentially(bool ipv6)
    {
        var h = new TcpHarness(ipv6: ipv6);
        var c = h.AcceptOne(h.Listen(), NoTs);
        // The handshake's RTT sample was 0, so the RTO is the 200 ms minimum.
        Assert.Equal(TimeSpan.FromMilliseconds(200), c.Rto);
        c.Send(Pattern(100), h.Now);
        h.Expect("P. 1:101(100) ack 1 **");

        var times = new List<int>();
        for (int ms = 10; ms <= 3200; ms += 10)
        {
            h.Advance(TimeSpan.FromMilliseconds(10));
            while (h.SentCount > 0)
            {
                h.Expect("P. 1:101(100) ack 1 **");
                times.Add(ms);
            }
        }
        Assert.Equal([200, 600, 1400, 3000], times);
        Assert.Equal(4, h.Tcp.Statistics.Retransmissions);
        Assert.Equal(4, h.Tcp.Statistics.RetransmissionTimeouts);
        Assert.Equal(0, h.Tcp.Statistics.FastRetransmits);

        h.Inject(TcpFlags.Ack, 1, 101);
        h.Advance(TimeSpan.FromSeconds(10));
        h.ExpectNothing();
        Assert.Equal(TcpState.Established, c.State);
    }

    [Fact]
    public void Retransmission_limit_fails_the_connection_with_timed_out()
    {
        var h = new TcpHarness(TcpConfig.Default with { Retries = 3 });
        var c = h.AcceptOne(h.Listen(), NoTs);
        var events = TcpEvents.None;
        c.Notify = (_, e) => events |= e;
        c.Send(Pattern(10), h.Now);
        h.Expect("P. 1:11(10) **");
        h.Advance(TimeSpan.FromSeconds(10));
        for (int i = 0; i < 3; i++)
        {
            h.Expect("P. 1:11(10) **");
        }
        h.ExpectNothing();
        Assert.Equal(TcpState.Closed, c.State);
        Assert.Equal(SocketError.TimedOut, c.Error);
        Assert.True(events.HasFlag(TcpEvents.Error));
    }

    [Fact]
    public void Zero_window_is_probed_with_backoff_until_it_opens()
    {
        var h = new TcpHarness(TcpConfig.Default with { NoDelay = true });
        var c = h.ConnectOne(synAckOptions: NoTs, win: 1000);
        c.Send(Pattern(3000), h.Now);
        h.ExpectNothing(); // Linux tcp_snd_wnd_test: a full segment does not fit the 1000-byte window.
        h.Advance(TimeSpan.FromMilliseconds(200));
        h.Expect("P. 1:1001(1000) ack 1 **"); // The persist timer sends what fits (tcp_write_wakeup).
        h.ExpectNothing();

        h.Inject(TcpFlags.Ack, 1, 1001, win: 0);
        h.ExpectNothing();
        var probes = new List<int>();
        for (int ms = 10; ms <= 1500; ms += 10)
        {
            h.Advance(TimeSpan.FromMilliseconds(10));
            while (h.SentCount > 0)
            {
                h.Expect(". 1000:1000(0) ack 1 **"); // As Linux: an ACK of an old sequence number, not a byte.
                probes.Add(ms);
                h.Inject(TcpFlags.Ack, 1, 1001, win: 0);
            }
        }
        Assert.Equal([200, 600, 1400], probes);
        Assert.Equal(TcpState.Established, c.State);

        h.Inject(TcpFlags.Ack, 1, 1001, win: 4000);
        h.Expect("P. 1001:2461(1460) ack 1 **"); // Crosses 1461, where Linux's forced_push marked the first skb.
        h.Expect("P. 2461:3001(540) ack 1 **");
    }

    [Fact]
    public void Our_zero_window_answers_probes_and_reopens_with_a_window_update()
    {
        var h = new TcpHarness(TcpConfig.Default with { ReceiveBufferSize = 4000 });
        var c = h.AcceptOne(h.Listen(), NoTs);
        h.Inject(TcpFlags.Ack, 1, 1, data: Pattern(2000));
        h.Expect(". 1:1(0) ack 2001 win 2000");
        h.Inject(TcpFlags.Ack, 2001, 1, data: Pattern(2000, 1));
        h.Expect(". 1:1(0) ack 4001 win 0");

        // A probe into the zero window is not acceptable: answered with an ACK that repeats the window.
        h.Inject(TcpFlags.Ack, 4001, 1, data: [9]);
        h.Expect(". 1:1(0) ack 4001 win 0");

        var buffer = new byte[4000];
        Assert.Equal(4000, c.Receive(buffer, h.Now));
        h.Expect(". 1:1(0) ack 4001 win 4000");
    }

    [Fact]
    public void Ack_on_data_into_our_zero_window_is_still_processed()
    {
        var h = new TcpHarness(TcpConfig.Default with { ReceiveBufferSize = 2000 });
        var c = h.AcceptOne(h.Listen(), NoTs);
        h.Inject(TcpFlags.Ack, 1, 1, data: Pattern(2000));
        h.Expect(". 1:1(0) ack 2001 win 0");
        c.Send(Pattern(10), h.Now);
        h.Expect("P. 1:11(10) ack 2001 win 0");

        // The peer's next data cannot be taken, but the ACK it carries counts (RFC 9293 §3.10.7.4).
        h.Inject(TcpFlags.Ack, 2001, 11, data: Pattern(100));
        h.Expect(". 11:11(0) ack 2001 win 0");
        Assert.Equal(0, c.Unacknowledged);
    }

    [Fact]
    public void Window_right_edge_never_moves_left()
    {
        var h = new TcpHarness(TcpConfig.Default with { ReceiveBufferSize = 10000 });
        var c = h.AcceptOne(h.Listen(), NoTs);
        uint edge = 1 + 10000;
        for (int i = 0; i < 8; i++)
        {
            h.Inject(TcpFlags.Ack, (uint)(1 + i * 1000), 1, data: Pattern(1000));
            h.Advance(TimeSpan.FromMilliseconds(500)); // The longest a delayed ACK waits (quick-acks go at once).
            var ack = h.Next();
            uint right = ack.RelAck + ack.Window;
            Assert.True(right >= edge, $"right edge moved left: {ack}");
            edge = right;
        }
        Assert.Equal(8000, c.Readable);
    }

    [Fact]
    public void Scaled_window_never_promises_more_than_the_buffer_takes()
    {
        // wscale 7: a window rounded up to 128-byte units, then again after each segment, used to creep past
        // the free space; a peer filling the window then lost the tail (trimmed) and got duplicate ACKs.
        var h = new TcpHarness(TcpConfig.Default with { ReceiveBufferSize = 30000, QuickAck = true }); // an ACK per segment
        var c = h.AcceptOne(h.Listen(), TcpHarness.LinuxSyn() with { HasTimestamps = false });
        Assert.Equal(7, c.WindowScale.Receive);
        uint next = 1;
        uint edge = 1 + 30000 / 128 * 128;
        for (int i = 0; i < 100 && next < edge; i++)
        {
            int len = (int)Math.Min(1448, edge - next);
            h.Inject(TcpFlags.Ack, next, 1, win: 1000, data: Pattern(len));
            next += (uint)len;
            var ack = h.Next();
            Assert.True(ack.RelAck == next, $"data within the advertised window was dropped: sent up to {next}, {ack}");
            edge = Math.Max(edge, ack.RelAck + ((uint)ack.Window << 7));
        }
        Assert.Equal((int)(next - 1), c.Readable);
        Assert.True(c.Readable > 30000 - 128, "the peer could fill the buffer");
    }

    [Fact]
    public void A_window_sliver_is_not_sent_while_data_is_in_flight()
    {
        var h = new TcpHarness(TcpConfig.Default with { NoDelay = true });
        var c = h.ConnectOne(synAckOptions: NoTs, win: 2000);
        c.Send(Pattern(5000), h.Now);
        // Each full skb of the write ends more than half the largest window past the last push: PSH (Linux forced_push).
        h.Expect("P. 1:1461(1460) ack 1 **");
        h.ExpectNothing(); // 540 bytes of window left: a silly window segment (RFC 1122 §4.2.3.4)

        h.Inject(TcpFlags.Ack, 1, 1461, win: 2000);
        h.Expect("P. 1461:2921(1460) ack 1 **");
        h.ExpectNothing();
        h.Inject(TcpFlags.Ack, 1, 2921, win: 2000);
        h.Expect("P. 2921:4381(1460) ack 1 **");
        h.Inject(TcpFlags.Ack, 1, 4381, win: 2000);
        h.Expect("P. 4381:5001(620) ack 1 **"); // the last of the data goes as it is
    }

    [Fact]
    public void Packet_too_big_lowers_the_mss_and_resends_what_no_longer_fits()
    {
        var h = new TcpHarness(TcpConfig.Default with { NoDelay = true });
        var c = h.ConnectOne(synAckOptions: NoTs);
        c.Send(Pattern(2920), h.Now);
        var first = h.Expect(". 1:1461(1460) ack 1 **");
        h.Expect("P. 1461:2921(1460) ack 1 **");

        h.InjectFragmentationNeeded(first.Packet, 1280);
        Assert.Equal(1240, c.EffectiveMss);
        // Both segments are too big now: each goes again cut to the new size (Linux tcp_simple_retransmit).
        h.Expect(". 1:1241(1240) ack 1 **");
        h.Expect(". 1241:1461(220) ack 1 **");
        h.Expect(". 1461:2701(1240) ack 1 **");
        h.Expect("P. 2701:2921(220) ack 1 **");
    }

    [Fact]
    public void Send_buffer_fills_and_frees_as_data_is_acknowledged()
    {
        // SO_SNDBUF 2,500: Linux doubles it to 5,000 and locks it (no growth from cwnd).
        var h = new TcpHarness(TcpConfig.Default.FromSoSndBuf(2500) with { NoDelay = true });
        var c = h.ConnectOne(synAckOptions: NoTs);
        Assert.Equal(5000, c.SendBufferSize);
        var events = TcpEvents.None;
        c.Notify = (_, e) => events |= e;
        // As Linux accounts it (sk_wmem_queued): a new skb starts while less than the buffer is queued, and takes up
        // to the size goal (half the peer's 65,535 window), so the whole write fits in one.
        Assert.Equal(5000, c.Send(Pattern(5000), h.Now));
        Assert.Equal(5000 + TcpConfig.SendBufferSkbOverhead, c.SendBufferQueued);
        Assert.Equal(0, c.Send(Pattern(10), h.Now));
        Assert.False(c.CanWrite);
        h.Expect(". 1:1461(1460) **");
        h.Expect(". 1461:2921(1460) **");
        h.Expect(". 2921:4381(1460) **");
        h.Expect("P. 4381:5001(620) **");
        h.Inject(TcpFlags.Ack, 1, 1461);
        Assert.False(c.IsWritable); // 3,540 bytes and their skb queued (4,820): not a third of 5,000 free.
        events = TcpEvents.None;
        h.Inject(TcpFlags.Ack, 1, 5001);
        Assert.True(events.HasFlag(TcpEvents.Writable));
        Assert.True(c.CanWrite);
        Assert.True(c.IsWritable);
        Assert.Equal(0, c.SendBufferQueued);
        Assert.Equal(5000, c.Send(Pattern(5000), h.Now));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Data_written_in_syn_sent_leaves_after_the_handshake(bool ipv6)
    {
        var h = new TcpHarness(ipv6: ipv6);
        var c = h.Connect();
        var syn = h.Expect("S 0:0(0) **");
        Assert.Equal(5, c.Send(Pattern(5), h.Now));
        h.ExpectNothing();
        h.Inject(TcpFlags.Syn | TcpFlags.Ack, 0, 1, options: NoTs);
        h.Expect("P. 1:6(5) ack 1 win 65535");
        Assert.Equal(syn.Repr.SequenceNumber, c.Iss.Value);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Old_timestamp_is_rejected_by_paws(bool ipv6)
    {
        var h = new TcpHarness(ipv6: ipv6);
        var c = h.AcceptOne(h.Listen(), LinuxSyn(tsVal: 1000));
        h.Inject(TcpFlags.Ack, 1, 1, options: Ts(1002, 0), data: Pattern(10));
        h.Advance(TcpConnection.DelayedAckTimeout); // In-order data: the ACK is delayed.
        h.Expect(". 1:1(0) ack 11 win * <nop,nop,TS val * ecr 1002>");
        h.Inject(TcpFlags.Ack, 11, 1, options: Ts(900, 0), data: Pattern(10));
        h.Expect(". 1:1(0) ack 11 win * <nop,nop,TS val * ecr 1002>");
        Assert.Equal(10, c.Readable);
        Assert.Equal(1, h.Tcp.Statistics.PawsRejected);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Ack_of_unsent_data_is_answered_and_dropped(bool ipv6)
    {
        var h = new TcpHarness(ipv6: ipv6);
        var c = h.AcceptOne(h.Listen(), NoTs);
        h.Inject(TcpFlags.Ack, 1, 500, data: Pattern(10));
        h.Expect(". 1:1(0) ack 1 **");
        Assert.Equal(0, c.Readable);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Out_of_window_segment_gets_an_ack(bool ipv6)
    {
        var h = new TcpHarness(ipv6: ipv6);
        var c = h.AcceptOne(h.Listen(), NoTs);
        h.Inject(TcpFlags.Ack, 5_000_000, 1, data: Pattern(10));
        h.Expect(". 1:1(0) ack 1 **");
        Assert.Equal(TcpState.Established, c.State);
    }
}
