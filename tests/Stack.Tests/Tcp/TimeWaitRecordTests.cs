using Stack.IP;
using Stack.Apps.Inspect;
using Stack.Sockets.Control;
using Stack.Tcp;
using Stack.Tcp.Timers;
using Stack.Tcp.Wire;
using static Stack.Tests.Tcp.TcpHarness;

namespace Stack.Tests.Tcp;

/// <summary>
/// TIME-WAIT as a compact record (TcpTimeWait): the connection leaves the table as it enters TIME-WAIT, and the
/// record answers the peer — also once the connection's owner released it and nothing refers to the connection.
/// </summary>
public sealed class TimeWaitRecordTests
{
    private static readonly TcpOptions NoTs = new() { Mss = 1460 };
    private static readonly TimeSpan TwoMsl = 2 * TcpConfig.Default.Msl;

    /// <summary>The server closes first; the peer's FIN puts it in TIME-WAIT. Released: only the record is left.</summary>
    private static TcpConnection EnterTimeWait(TcpHarness h, TcpListener listener, bool release)
    {
        var c = h.AcceptOne(listener, NoTs);
        c.Close(h.Now);
        h.Expect("F. 1:1(0) ack 1 **");
        h.Inject(TcpFlags.Fin | TcpFlags.Ack, 1, 2);
        h.Expect(". 2:2(0) ack 2 **");
        Assert.Equal(TcpState.TimeWait, c.State);
        if (release) c.Release();
        return c;
    }

    [Fact]
    public void Entering_time_wait_replaces_the_connection_in_the_table_by_a_record()
    {
        var h = new TcpHarness();
        var c = EnterTimeWait(h, h.Listen(), release: false);

        Assert.Empty(h.Tcp.Connections);
        var record = Assert.Single(h.Tcp.TimeWaits);
        Assert.Same(record, c.TimeWaitRecord);
        Assert.Same(c, record.Owner);
        Assert.Equal(1, h.Tcp.ConnectionCount);
        Assert.Equal(1, h.Tcp.Statistics.InState(TcpState.TimeWait));
        Assert.Equal(h.Now + TwoMsl, c.TimerDeadline(TimerKind.TimeWait)); // ss -o on the connection still shows it.
        Assert.Equal(h.Now + TwoMsl, record.Deadline);
        Assert.Same(c, h.Tcp.Find(c.LocalEndPoint, c.RemoteEndPoint));
        Assert.False(c.HoldsBuffers);
    }

    [Fact]
    public void A_released_connection_is_not_referenced_and_its_record_reacknowledges_a_retransmitted_fin()
    {
        var h = new TcpHarness();
        var c = EnterTimeWait(h, h.Listen(), release: true);
        var record = Assert.Single(h.Tcp.TimeWaits);
        Assert.Null(record.Owner);
        Assert.Null(c.TimeWaitRecord);
        Assert.Null(h.Tcp.Find(c.LocalEndPoint, c.RemoteEndPoint));

        h.Advance(TimeSpan.FromSeconds(40));
        h.Inject(TcpFlags.Fin | TcpFlags.Ack, 1, 2);
        h.Expect(". 2:2(0) ack 2 win 65535"); // The window of the last ACK, no options (none negotiated).
        h.Advance(TwoMsl - TimeSpan.FromMilliseconds(1)); // 2 MSL restarted by the FIN.
        Assert.Equal(1, h.Tcp.TimeWaitCount);
        h.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(0, h.Tcp.ConnectionCount);
        Assert.Equal(0, h.Tcp.Statistics.InState(TcpState.TimeWait));
        h.ExpectNothing();
    }

    [Fact]
    public void The_record_answers_with_the_connections_timestamps_and_applies_paws()
    {
        var h = new TcpHarness();
        var c = h.AcceptOne(h.Listen(), LinuxSyn(tsVal: 100));
        c.Close(h.Now);
        var fin = h.Expect("F. 1:1(0) ack 1 **");
        h.Inject(TcpFlags.Fin | TcpFlags.Ack, 1, 2, options: Ts(150, fin.Options.TsVal));
        var ack = h.Expect(". 2:2(0) ack 2 **");
        c.Release();

        h.Advance(TimeSpan.FromSeconds(1));
        h.Inject(TcpFlags.Fin | TcpFlags.Ack, 1, 2, options: Ts(160, fin.Options.TsVal));
        var again = h.Expect(". 2:2(0) ack 2 **");
        Assert.Equal(150u, again.Options.TsEcr); // TS.Recent: the FIN's (the retransmission is not past Last.ACK.sent).
        Assert.Equal(ack.Options.TsVal + 1000, again.Options.TsVal); // The connection's clock goes on.

        h.Advance(TimeSpan.FromSeconds(1));
        h.Inject(TcpFlags.Ack, 2, 2, options: Ts(120, fin.Options.TsVal)); // Older than TS.Recent: PAWS.
        h.Expect(". 2:2(0) ack 2 **");
        Assert.Equal(1, h.Tcp.Statistics.PawsRejected);
        Assert.Equal(1, h.Tcp.TimeWaitCount);
    }

    [Fact]
    public void A_rst_at_rcv_nxt_ends_the_record_and_one_elsewhere_in_the_window_is_challenged()
    {
        var h = new TcpHarness();
        EnterTimeWait(h, h.Listen(), release: true);

        h.Inject(TcpFlags.Rst, 100);
        h.Expect(". 2:2(0) ack 2 **"); // RFC 5961 §3.2: a challenge ACK.
        Assert.Equal(1, h.Tcp.TimeWaitCount);

        h.Inject(TcpFlags.Rst, 2);
        h.ExpectNothing();
        Assert.Equal(0, h.Tcp.TimeWaitCount);
        Assert.Equal(0, h.Tcp.Statistics.InState(TcpState.TimeWait));
    }

    [Fact]
    public void A_rst_ends_a_record_whose_connection_is_still_held_and_the_connection_closes()
    {
        var h = new TcpHarness();
        var c = EnterTimeWait(h, h.Listen(), release: false);
        var events = TcpEvents.None;
        c.Notify = (_, e) => events |= e;
        h.Inject(TcpFlags.Rst, 2);
        Assert.Equal(TcpState.Closed, c.State);
        Assert.Equal("rcv RST", c.LastTransition.Cause);
        Assert.True((events & TcpEvents.Closed) != 0);
        Assert.Null(c.Error);
        Assert.Equal(0, h.Tcp.ConnectionCount);
    }

    [Fact]
    public void A_new_syn_reuses_the_tuple_of_a_released_record()
    {
        var h = new TcpHarness();
        var listener = h.Listen();
        var old = EnterTimeWait(h, listener, release: true);
        var oldSndNxt = old.SndNxt;

        h.Inject(TcpFlags.Syn, 100_000, options: NoTs);
        var synAck = h.Expect("S. 0:0(0) ack 100001 win 65535 <mss 1460>");
        Assert.True(new SeqNum(synAck.Repr.SequenceNumber) > oldSndNxt);
        Assert.Equal(1, h.Tcp.Statistics.TimeWaitRecycled);
        Assert.Equal(0, h.Tcp.TimeWaitCount);
        Assert.Equal(0, h.Tcp.Statistics.InState(TcpState.TimeWait));
        // Released and done, the object went back to the layer's pool: the new SYN's connection is its next life.
        Assert.Equal(1, h.Tcp.Statistics.ConnectionsReused);
        Assert.Equal(TcpState.SynReceived, old.State);
    }

    [Fact]
    public void A_reused_record_is_not_ended_by_a_deadline_left_from_its_earlier_use()
    {
        var h = new TcpHarness();
        var listener = h.Listen();
        EnterTimeWait(h, listener, release: true);
        var first = Assert.Single(h.Tcp.TimeWaits);
        h.Advance(TimeSpan.FromSeconds(10));
        h.Inject(TcpFlags.Rst, 2); // Ends it at 10 s; its heap entry (due at 60 s) stays behind, stale.
        Assert.Equal(0, h.Tcp.TimeWaitCount);

        h.Advance(TimeSpan.FromSeconds(5));
        EnterTimeWait(h, listener, release: true);
        Assert.Same(first, Assert.Single(h.Tcp.TimeWaits)); // From the pool.
        h.Advance(TwoMsl - TimeSpan.FromMilliseconds(1)); // Past the stale entry's 60 s.
        Assert.Equal(1, h.Tcp.TimeWaitCount);
        h.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(0, h.Tcp.TimeWaitCount);
    }

    [Fact]
    public void A_port_in_time_wait_is_taken_against_a_bind_without_reuse_address()
    {
        var h = new TcpHarness();
        var listener = h.Listen();
        var c = EnterTimeWait(h, listener, release: true);
        listener.Close(h.Now);
        var port = c.LocalEndPoint;
        Assert.Throws<System.Net.Sockets.SocketException>(() => h.Tcp.Listen(port.Address, port.Port, 5));
        h.Tcp.Listen(port.Address, port.Port, 5, TcpConfig.Default with { ReuseAddress = true });
    }

    [Fact]
    public void A_record_holds_its_port_on_its_address_and_on_any_until_it_ends()
    {
        var h = new TcpHarness();
        var listener = h.Listen();
        EnterTimeWait(h, listener, release: true);
        listener.Close(h.Now);
        Assert.Throws<System.Net.Sockets.SocketException>(() => h.Tcp.Listen(IpAddress.AnyV4, TcpHarness.OurPort, 5));
        Assert.Throws<System.Net.Sockets.SocketException>(() => h.Tcp.Listen(h.Our, TcpHarness.OurPort, 5));
        h.Tcp.Listen(TcpHarness.Our6, TcpHarness.OurPort, 5).Close(h.Now); // Another address: not held there.

        h.Advance(TwoMsl);
        Assert.Equal(0, h.Tcp.TimeWaitCount);
        h.Tcp.Listen(IpAddress.AnyV4, TcpHarness.OurPort, 5).Close(h.Now);
        h.Tcp.Listen(h.Our, TcpHarness.OurPort, 5);
    }

    [Fact]
    public void Ss_lists_a_record_with_its_timewait_timer_and_no_tcp_info()
    {
        var h = new TcpHarness();
        EnterTimeWait(h, h.Listen(), release: true);
        h.Advance(TimeSpan.FromSeconds(20));
        var entry = SocketSnapshot.TimeWaitEntry(Assert.Single(h.Tcp.TimeWaits), h.Now);
        Assert.Equal(("TIME-WAIT", "192.0.2.2", "192.0.2.1"), (entry.State, entry.LocalAddress, entry.PeerAddress));
        Assert.Equal("timer:(timewait,40sec,0)", SsTable.Details(entry.Tcp!, info: true, timer: true));
    }
}
