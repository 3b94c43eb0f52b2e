using System.Net.Sockets;
using Stack.Tcp;
using Stack.Tcp.Wire;
using static Stack.Tests.Tcp.TcpHarness;

namespace Stack.Tests.Tcp;

/// <summary>Closing (RFC 9293 §3.6), resets (§3.5.2, RFC 5961) and TIME-WAIT (§3.6.1, RFC 6191).</summary>
public sealed class TcpCloseTests
{
    private static readonly TcpOptions NoTs = new() { Mss = 1460 };

    private static List<TcpState> Track(TcpConnection c)
    {
        var states = new List<TcpState> { c.State };
        c.StateChanged += (_, t) => states.Add(t.To);
        return states;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Buffers_are_held_only_while_data_is_and_not_through_time_wait(bool ipv6)
    {
        var h = new TcpHarness(ipv6: ipv6);
        var c = h.AcceptOne(h.Listen(), NoTs);
        Assert.False(c.HoldsBuffers); // An idle connection holds no buffer.

        h.Inject(TcpFlags.Psh | TcpFlags.Ack, 1, 1, data: Pattern(100));
        Assert.Equal(100, c.Send(Pattern(50), h.Now) + 50);
        Assert.True(c.HoldsBuffers);
        h.Inject(TcpFlags.Fin | TcpFlags.Ack, 101, 51); // Our 50 bytes acknowledged; the peer closes.
        c.Shutdown(System.Net.Sockets.SocketShutdown.Send, h.Now); // (Close would reset: data is unread.)
        h.Inject(TcpFlags.Ack, 102, 52); // Our FIN acknowledged: LAST-ACK -> CLOSED, 100 bytes still unread.
        Assert.Equal(TcpState.Closed, c.State);
        Assert.Equal(100, c.Readable);
        Assert.True(c.HoldsBuffers);
        var read = new byte[200];
        Assert.Equal(100, c.Receive(read, h.Now));
        Assert.Equal(Pattern(100), read[..100]);
        Assert.False(c.HoldsBuffers); // Read out: the rings went back to the pool.

        var h2 = new TcpHarness(ipv6: ipv6);
        var active = h2.AcceptOne(h2.Listen(), NoTs);
        active.Send(Pattern(10), h2.Now);
        active.Close(h2.Now);
        h2.Inject(TcpFlags.Ack, 1, 12);
        h2.Inject(TcpFlags.Fin | TcpFlags.Ack, 1, 12);
        Assert.Equal(TcpState.TimeWait, active.State);
        Assert.False(active.HoldsBuffers); // TIME-WAIT keeps no buffer.
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Active_close_goes_through_fin_wait_and_time_wait_for_2msl(bool ipv6)
    {
        var h = new TcpHarness(ipv6: ipv6);
        var c = h.AcceptOne(h.Listen(), NoTs);
        var states = Track(c);

        c.Close(h.Now);
        h.Expect("F. 1:1(0) ack 1 **");
        h.Inject(TcpFlags.Ack, 1, 2);
        h.ExpectNothing();
        h.Inject(TcpFlags.Fin | TcpFlags.Ack, 1, 2);
        h.Expect(". 2:2(0) ack 2 **");
        Assert.Equal(TcpState.TimeWait, c.State);

        h.Advance(TimeSpan.FromSeconds(60) - TimeSpan.FromMilliseconds(1));
        Assert.Equal(TcpState.TimeWait, c.State);
        h.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(TcpState.Closed, c.State);
        Assert.Equal([TcpState.Established, TcpState.FinWait1, TcpState.FinWait2, TcpState.TimeWait, TcpState.Closed], states);
        Assert.Null(c.Error);
        Assert.Equal(0, h.Tcp.ConnectionCount);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Passive_close_goes_through_close_wait_and_last_ack(bool ipv6)
    {
        var h = new TcpHarness(ipv6: ipv6);
        var c = h.AcceptOne(h.Listen(), NoTs);
        var states = Track(c);

        h.Inject(TcpFlags.Fin | TcpFlags.Ack, 1, 1);
        h.Expect(". 1:1(0) ack 2 **");
        Assert.Equal(TcpState.CloseWait, c.State);
        Assert.True(c.CanRead);
        Assert.True(c.IsEndOfStream);
        Assert.Equal(0, c.Receive(new byte[10], h.Now));

        // Still writable in CLOSE-WAIT (half-close from the peer's side).
        c.Send(Pattern(10), h.Now);
        h.Expect("P. 1:11(10) ack 2 **");
        c.Close(h.Now);
        h.Expect("F. 11:11(0) ack 2 **"); // The FIN follows the data at once.
        h.Inject(TcpFlags.Ack, 2, 11);
        Assert.Equal(TcpState.LastAck, c.State);
        h.Inject(TcpFlags.Ack, 2, 12);
        Assert.Equal(TcpState.Closed, c.State);
        Assert.Equal([TcpState.Established, TcpState.CloseWait, TcpState.LastAck, TcpState.Closed], states);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Simultaneous_close_goes_through_closing(bool ipv6)
    {
        var h = new TcpHarness(ipv6: ipv6);
        var c = h.AcceptOne(h.Listen(), NoTs);
        var states = Track(c);
        c.Close(h.Now);
        h.Expect("F. 1:1(0) ack 1 **");
        h.Inject(TcpFlags.Fin | TcpFlags.Ack, 1, 1);
        h.Expect(". 2:2(0) ack 2 **");
        Assert.Equal(TcpState.Closing, c.State);
        h.Inject(TcpFlags.Ack, 2, 2);
        Assert.Equal(TcpState.TimeWait, c.State);
        Assert.Equal([TcpState.Established, TcpState.FinWait1, TcpState.Closing, TcpState.TimeWait], states);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Time_wait_reacknowledges_a_retransmitted_fin_and_restarts_2msl(bool ipv6)
    {
        var h = new TcpHarness(ipv6: ipv6);
        var c = EnterTimeWait(h);
        h.Advance(TimeSpan.FromSeconds(40));
        h.Inject(TcpFlags.Fin | TcpFlags.Ack, 1, 2);
        h.Expect(". 2:2(0) ack 2 **");
        h.Advance(TimeSpan.FromSeconds(59));
        Assert.Equal(TcpState.TimeWait, c.State);
        h.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(TcpState.Closed, c.State);
    }

    [Fact]
    public void Time_wait_accepts_a_new_syn_with_a_higher_sequence_number()
    {
        var h = new TcpHarness();
        var old = EnterTimeWait(h);
        uint oldIsn = h.OurIsn;
        var oldSndNxt = old.SndNxt;

        h.Inject(TcpFlags.Syn, 100_000, options: NoTs);
        var synAck = h.Expect("S. 0:0(0) ack 100001 win 65535 <mss 1460>");
        Assert.Equal(TcpState.Closed, old.State);
        Assert.True(new SeqNum(synAck.Repr.SequenceNumber) > oldSndNxt, $"new ISN {synAck.Repr.SequenceNumber} vs old {oldIsn}");
        Assert.Equal(1, h.Tcp.Statistics.TimeWaitRecycled);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Time_wait_rejects_a_syn_with_a_lower_sequence_number(bool ipv6)
    {
        var h = new TcpHarness(ipv6: ipv6);
        var old = EnterTimeWait(h);
        h.Inject(TcpFlags.Syn, 0, options: NoTs);
        h.Expect(". 2:2(0) ack 2 **"); // Answered as an old duplicate: ACK, no SYN-ACK.
        Assert.Equal(TcpState.TimeWait, old.State);
        Assert.Equal(0, h.Tcp.Statistics.TimeWaitRecycled);
    }

    [Fact]
    public void Time_wait_with_timestamps_accepts_a_syn_with_a_newer_tsval_even_with_a_lower_seq()
    {
        var h = new TcpHarness();
        var listener = h.Listen();
        var c = h.AcceptOne(listener, LinuxSyn(tsVal: 100));
        c.Close(h.Now);
        var fin = h.Expect("F. 1:1(0) ack 1 **");
        h.Inject(TcpFlags.Fin | TcpFlags.Ack, 1, 2, options: Ts(150, fin.Options.TsVal));
        h.Expect(". 2:2(0) ack 2 **");
        Assert.Equal(TcpState.TimeWait, c.State);

        // RFC 6191: TSval 120 is older than TS.Recent 150: refused.
        h.Inject(TcpFlags.Syn, 0, options: LinuxSyn(tsVal: 120));
        h.Expect(". 2:2(0) ack 2 **");
        // TSval 5000 is newer: accepted though its sequence number is lower.
        h.Inject(TcpFlags.Syn, 0, options: LinuxSyn(tsVal: 5000));
        h.Expect("S. 0:0(0) ack 1 win 65535 <mss 1460,sackOK,TS val * ecr 5000,nop,wscale 7>");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Fin_wait_2_of_a_closed_connection_times_out(bool ipv6)
    {
        var h = new TcpHarness(ipv6: ipv6);
        var c = h.AcceptOne(h.Listen(), NoTs);
        c.Close(h.Now);
        h.Expect("F. 1:1(0) ack 1 **");
        h.Inject(TcpFlags.Ack, 1, 2);
        Assert.Equal(TcpState.FinWait2, c.State);
        h.Advance(TimeSpan.FromSeconds(59));
        Assert.Equal(TcpState.FinWait2, c.State);
        h.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(TcpState.Closed, c.State);
        h.ExpectNothing();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Half_close_keeps_receiving_after_shutdown_write(bool ipv6)
    {
        var h = new TcpHarness(ipv6: ipv6);
        var c = h.AcceptOne(h.Listen(), NoTs);
        c.Shutdown(SocketShutdown.Send, h.Now);
        h.Expect("F. 1:1(0) ack 1 **");
        Assert.Throws<SocketException>(() => c.Send([1], h.Now));
        h.Inject(TcpFlags.Ack, 1, 2);
        Assert.Equal(TcpState.FinWait2, c.State);

        h.Inject(TcpFlags.Psh | TcpFlags.Ack, 1, 2, data: Pattern(100));
        h.Advance(TcpConnection.DelayedAckTimeout); // In-order data: the ACK is delayed.
        h.Expect(". 2:2(0) ack 101 **");
        var buffer = new byte[200];
        Assert.Equal(100, c.Receive(buffer, h.Now));
        Assert.Equal(Pattern(100), buffer[..100]);

        // Not closed by the application: FIN-WAIT-2 waits as long as the peer wants (no linger2 timer).
        h.Advance(TimeSpan.FromSeconds(120));
        Assert.Equal(TcpState.FinWait2, c.State);

        h.Inject(TcpFlags.Fin | TcpFlags.Ack, 101, 2);
        h.Expect(". 2:2(0) ack 102 **");
        Assert.Equal(TcpState.TimeWait, c.State);
        Assert.Equal(0, c.Receive(buffer, h.Now));
        Assert.True(c.IsEndOfStream);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Fin_is_delivered_after_all_queued_data(bool ipv6)
    {
        var h = new TcpHarness(ipv6: ipv6);
        var c = h.AcceptOne(h.Listen(), NoTs);
        h.Inject(TcpFlags.Ack | TcpFlags.Fin, 1001, 1, data: Pattern(500, 1));
        h.Expect(". 1:1(0) ack 1 **"); // Out of order: the FIN cannot count yet.
        Assert.False(c.IsEndOfStream);
        h.Inject(TcpFlags.Ack, 1, 1, data: Pattern(1000));
        h.Expect(". 1:1(0) ack 1501 **");
        Assert.Equal(TcpState.Established, c.State); // The FIN was dropped with its gap; the peer resends it.
        h.Inject(TcpFlags.Ack | TcpFlags.Fin, 1501, 1);
        h.Expect(". 1:1(0) ack 1502 **");
        Assert.False(c.IsEndOfStream);
        var buffer = new byte[2000];
        Assert.Equal(1500, c.Receive(buffer, h.Now));
        Assert.True(c.IsEndOfStream);
        Assert.Equal(0, c.Receive(buffer, h.Now));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Abort_sends_rst(bool ipv6)
    {
        var h = new TcpHarness(ipv6: ipv6);
        var c = h.AcceptOne(h.Listen(), NoTs);
        c.Abort(h.Now);
        h.Expect("R. 1:1(0) ack 1 win 0");
        Assert.Equal(TcpState.Closed, c.State);
        Assert.Equal(0, h.Tcp.ConnectionCount);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Close_with_unread_data_sends_rst(bool ipv6)
    {
        var h = new TcpHarness(ipv6: ipv6);
        var c = h.AcceptOne(h.Listen(), NoTs);
        h.Inject(TcpFlags.Ack, 1, 1, data: Pattern(10));
        h.Advance(TcpConnection.DelayedAckTimeout); // In-order data: the ACK is delayed.
        h.Expect(". 1:1(0) ack 11 **");
        c.Close(h.Now);
        h.Expect("R. 1:1(0) ack 11 win 0");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Received_rst_gives_connection_reset(bool ipv6)
    {
        var h = new TcpHarness(ipv6: ipv6);
        var c = h.AcceptOne(h.Listen(), NoTs);
        var events = TcpEvents.None;
        c.Notify = (_, e) => events |= e;
        h.Inject(TcpFlags.Rst | TcpFlags.Ack, 1, 1);
        h.ExpectNothing();
        Assert.Equal(TcpState.Closed, c.State);
        Assert.Equal(SocketError.ConnectionReset, c.Error);
        Assert.True(events.HasFlag(TcpEvents.Error | TcpEvents.Closed | TcpEvents.Readable));
        Assert.True(c.CanRead);
        var e = Assert.Throws<SocketException>(() => c.Receive(new byte[10], h.Now));
        Assert.Equal(SocketError.ConnectionReset, e.SocketErrorCode);
        e = Assert.Throws<SocketException>(() => c.Send([1], h.Now));
        Assert.Equal(SocketError.ConnectionReset, e.SocketErrorCode);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void In_window_rst_with_inexact_sequence_gets_a_challenge_ack(bool ipv6)
    {
        var h = new TcpHarness(ipv6: ipv6);
        var c = h.AcceptOne(h.Listen(), NoTs);
        h.Inject(TcpFlags.Rst, 100);
        h.Expect(". 1:1(0) ack 1 **"); // RFC 5961 §3.2
        Assert.Equal(TcpState.Established, c.State);
        h.Inject(TcpFlags.Rst, 1);
        Assert.Equal(TcpState.Closed, c.State);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Syn_on_an_established_connection_gets_a_challenge_ack(bool ipv6)
    {
        var h = new TcpHarness(ipv6: ipv6);
        var c = h.AcceptOne(h.Listen(), NoTs);
        h.Inject(TcpFlags.Syn, 50, options: NoTs);
        h.Expect(". 1:1(0) ack 1 **"); // RFC 5961 §4.2
        Assert.Equal(TcpState.Established, c.State);
        Assert.Equal(1, h.Tcp.Statistics.ChallengeAcks);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Data_after_close_is_answered_with_rst(bool ipv6)
    {
        var h = new TcpHarness(ipv6: ipv6);
        var c = h.AcceptOne(h.Listen(), NoTs);
        c.Close(h.Now);
        h.Expect("F. 1:1(0) ack 1 **");
        h.Inject(TcpFlags.Ack, 1, 2, data: Pattern(10));
        h.Expect("R 2:2(0) win 0"); // As Linux: a reply RST to the segment, <SEQ=SEG.ACK>.
        Assert.Equal(TcpState.Closed, c.State);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Listener_close_resets_connections_not_yet_accepted(bool ipv6)
    {
        var h = new TcpHarness(ipv6: ipv6);
        var listener = h.Listen();
        h.Inject(TcpFlags.Syn, 0, options: NoTs);
        h.Expect("S. 0:0(0) ack 1 **");
        h.Inject(TcpFlags.Ack, 1, 1);
        listener.Close(h.Now);
        h.Expect("R. 1:1(0) ack 1 win 0");
        Assert.Equal(0, h.Tcp.ConnectionCount);
        h.OurIsn = 0;
        h.Inject(TcpFlags.Syn, 0, options: NoTs, from: PeerPort + 1);
        h.Expect("R. 0:0(0) ack 1 win 0");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Data_before_accept_waits_in_the_receive_buffer(bool ipv6)
    {
        var h = new TcpHarness(ipv6: ipv6);
        var listener = h.Listen();
        h.Inject(TcpFlags.Syn, 0, options: NoTs);
        h.Expect("S. 0:0(0) ack 1 **");
        h.Inject(TcpFlags.Ack | TcpFlags.Psh, 1, 1, data: Pattern(300));
        h.Advance(TcpConnection.DelayedAckTimeout); // In-order data: the ACK is delayed.
        h.Expect(". 1:1(0) ack 301 **");
        h.Inject(TcpFlags.Ack | TcpFlags.Fin, 301, 1);
        h.Expect(". 1:1(0) ack 302 **");
        Assert.True(listener.TryAccept(out var c));
        Assert.Equal(TcpState.CloseWait, c.State);
        var buffer = new byte[1000];
        Assert.Equal(300, c.Receive(buffer, h.Now));
        Assert.True(c.IsEndOfStream);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Close_after_shutdown_in_fin_wait_2_starts_the_linger2_timer(bool ipv6)
    {
        var h = new TcpHarness(ipv6: ipv6);
        var c = h.AcceptOne(h.Listen(), NoTs);
        c.Shutdown(SocketShutdown.Send, h.Now);
        h.Expect("F. 1:1(0) ack 1 **");
        h.Inject(TcpFlags.Ack, 1, 2);
        h.Advance(TimeSpan.FromSeconds(100));
        Assert.Equal(TcpState.FinWait2, c.State);
        c.Close(h.Now);
        h.Advance(TimeSpan.FromSeconds(60));
        Assert.Equal(TcpState.Closed, c.State);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Lost_fin_is_retransmitted_in_last_ack(bool ipv6)
    {
        var h = new TcpHarness(ipv6: ipv6);
        var c = h.AcceptOne(h.Listen(), NoTs);
        h.Inject(TcpFlags.Fin | TcpFlags.Ack, 1, 1);
        h.Expect(". 1:1(0) ack 2 **");
        c.Close(h.Now);
        h.Expect("F. 1:1(0) ack 2 **");
        h.Advance(TimeSpan.FromMilliseconds(200));
        h.Expect("F. 1:1(0) ack 2 **");
        Assert.Equal(TcpState.LastAck, c.State);
        h.Inject(TcpFlags.Ack, 2, 2);
        Assert.Equal(TcpState.Closed, c.State);
        h.Advance(TimeSpan.FromSeconds(10));
        h.ExpectNothing();
    }

    /// <summary>The server closes first and ends in TIME-WAIT; the listener stays.</summary>
    private static TcpConnection EnterTimeWait(TcpHarness h)
    {
        var c = h.AcceptOne(h.Listen(), NoTs);
        c.Close(h.Now);
        h.Expect("F. 1:1(0) ack 1 **");
        h.Inject(TcpFlags.Fin | TcpFlags.Ack, 1, 2);
        h.Expect(". 2:2(0) ack 2 **");
        Assert.Equal(TcpState.TimeWait, c.State);
        return c;
    }
}
