using Stack.Tcp;
using Stack.Tcp.Wire;

namespace Stack.Tests.Tcp;

/// <summary>
/// The cap on TIME-WAIT records (TcpConfig.MaxTimeWait, Linux's tcp_max_tw_buckets): past it a connection that enters
/// TIME-WAIT closes at once with no record, counted as TCPTimeWaitOverflow, and its tuple is free for a new SYN.
/// </summary>
public sealed class TimeWaitCapTests
{
    private static readonly TcpOptions NoTs = new() { Mss = 1460 };
    private static readonly TcpConfig CapTwo = TcpConfig.Default with { MaxTimeWait = 2 };

    /// <summary>A connection from <paramref name="from"/> that the server closes first, into TIME-WAIT (or past it).</summary>
    private static TcpConnection CloseFromServer(TcpHarness h, TcpListener listener, ushort from)
    {
        h.Inject(TcpFlags.Syn, 0, options: NoTs, from: from);
        h.Expect("S. 0:0(0) ack 1 **");
        h.Inject(TcpFlags.Ack, 1, 1, from: from);
        Assert.True(listener.TryAccept(out var c));
        c.Close(h.Now);
        h.Expect("F. 1:1(0) ack 1 **");
        h.Inject(TcpFlags.Fin | TcpFlags.Ack, 1, 2, from: from);
        h.Expect(". 2:2(0) ack 2 **"); // The peer's FIN is acknowledged either way.
        return c;
    }

    [Fact]
    public void Below_the_cap_each_close_leaves_a_record()
    {
        var h = new TcpHarness(CapTwo);
        var listener = h.Listen();
        var first = CloseFromServer(h, listener, 40001);
        var second = CloseFromServer(h, listener, 40002);

        Assert.Equal((TcpState.TimeWait, TcpState.TimeWait), (first.State, second.State));
        Assert.Equal(2, h.Tcp.TimeWaitCount);
        Assert.Equal(2, h.Tcp.Statistics.InState(TcpState.TimeWait));
        Assert.Equal(0, h.Tcp.Statistics.TimeWaitOverflow);
    }

    [Fact]
    public void At_the_cap_the_next_close_leaves_no_record_and_is_counted()
    {
        var h = new TcpHarness(CapTwo);
        var listener = h.Listen();
        CloseFromServer(h, listener, 40001).Release();
        CloseFromServer(h, listener, 40002).Release();
        var events = TcpEvents.None;
        h.Tcp.ConnectionCreated += c => c.Notify = (_, e) => events |= e;

        var third = CloseFromServer(h, listener, 40003);

        Assert.Equal(TcpState.Closed, third.State);
        Assert.Equal(new TcpTransition(TcpState.TimeWait, TcpState.Closed, "TIME-WAIT overflow (MaxTimeWait)"), third.LastTransition);
        Assert.True((events & TcpEvents.Closed) != 0);
        Assert.Null(third.Error);
        Assert.Null(third.TimeWaitRecord);
        Assert.Equal(2, h.Tcp.TimeWaitCount);
        Assert.Equal(2, h.Tcp.ConnectionCount);
        Assert.Equal(2, h.Tcp.Statistics.InState(TcpState.TimeWait));
        Assert.Equal(1, h.Tcp.Statistics.TimeWaitOverflow);
        Assert.Null(h.Tcp.Find(third.LocalEndPoint, third.RemoteEndPoint));
        h.ExpectNothing();
    }

    [Fact]
    public void A_later_syn_on_the_tuple_that_overflowed_is_a_new_connection()
    {
        var h = new TcpHarness(CapTwo);
        var listener = h.Listen();
        CloseFromServer(h, listener, 40001).Release();
        CloseFromServer(h, listener, 40002).Release();
        CloseFromServer(h, listener, 40003).Release();

        // The old incarnation's own ISN again: a record would take it as an old duplicate and answer it with an
        // ACK (RFC 9293 §3.10.7.4); with no record it opens a fresh connection.
        h.Inject(TcpFlags.Syn, 0, options: NoTs, from: 40003);
        h.Expect("S. 0:0(0) ack 1 **");
        h.Inject(TcpFlags.Ack, 1, 1, from: 40003);
        Assert.True(listener.TryAccept(out var fresh));
        Assert.Equal(TcpState.Established, fresh.State);
        Assert.Equal(0, h.Tcp.Statistics.TimeWaitRecycled);

        // The same SYN on a tuple that kept its record is answered with the record's ACK, not taken.
        h.Inject(TcpFlags.Syn, 0, options: NoTs, from: 40002);
        var challenge = h.Next();
        Assert.Equal((TcpFlags.Ack, 2u), (challenge.Flags, challenge.RelAck));
        Assert.Equal(0, h.Tcp.Statistics.TimeWaitRecycled);
        Assert.Equal(2, h.Tcp.TimeWaitCount);
    }

    [Fact]
    public void Records_that_expire_make_room_again()
    {
        var h = new TcpHarness(CapTwo);
        var listener = h.Listen();
        CloseFromServer(h, listener, 40001).Release();
        CloseFromServer(h, listener, 40002).Release();
        h.Advance(2 * TcpConfig.Default.Msl);
        Assert.Equal(0, h.Tcp.TimeWaitCount);

        var next = CloseFromServer(h, listener, 40003);
        Assert.Equal(TcpState.TimeWait, next.State);
        Assert.Equal(1, h.Tcp.TimeWaitCount);
        Assert.Equal(0, h.Tcp.Statistics.TimeWaitOverflow);
    }

    [Fact]
    public void A_cap_of_zero_keeps_no_time_wait_and_the_layer_reads_its_own_config_not_the_sockets()
    {
        var h = new TcpHarness(TcpConfig.Default with { MaxTimeWait = 0 });
        var listener = h.Listen(config: TcpConfig.Default); // A socket's config does not lift the layer's cap.
        var c = CloseFromServer(h, listener, 40001);
        Assert.Equal(TcpState.Closed, c.State);
        Assert.Equal(0, h.Tcp.ConnectionCount);
        Assert.Equal(0, h.Tcp.Statistics.InState(TcpState.TimeWait));
        Assert.Equal(1, h.Tcp.Statistics.TimeWaitOverflow);
        Assert.Equal(131_072, TcpConfig.Default.MaxTimeWait);
    }

    [Fact]
    public void A_released_connection_that_overflows_is_pooled_once_and_its_next_life_is_whole()
    {
        var h = new TcpHarness(TcpConfig.Default with { MaxTimeWait = 0 });
        var listener = h.Listen();
        h.Inject(TcpFlags.Syn, 0, options: NoTs, from: 40001);
        h.Expect("S. 0:0(0) ack 1 **");
        h.Inject(TcpFlags.Ack, 1, 1, from: 40001);
        Assert.True(listener.TryAccept(out var c));
        c.Close(h.Now);
        h.Expect("F. 1:1(0) ack 1 **");
        c.Release(); // As a socket closed before the peer's FIN: the overflow's CLOSED hands it to the pool.
        int pooled = h.Tcp.PooledConnections;
        h.Inject(TcpFlags.Fin | TcpFlags.Ack, 1, 2, from: 40001);
        h.Expect(". 2:2(0) ack 2 **");
        Assert.Equal(pooled + 1, h.Tcp.PooledConnections);
        Assert.Equal(1, h.Tcp.Statistics.TimeWaitOverflow);

        var next = CloseFromServer(h, listener, 40002); // Its next life, from the pool, overflows as well.
        Assert.Equal(TcpState.Closed, next.State);
        Assert.Equal(2, h.Tcp.Statistics.TimeWaitOverflow);
        Assert.Equal(0, h.Tcp.ConnectionCount);
    }

    [Fact]
    public void A_negative_cap_is_refused()
    {
        var h = new TcpHarness();
        Assert.Throws<ArgumentOutOfRangeException>(() => h.Listen(config: TcpConfig.Default with { MaxTimeWait = -1 }));
    }
}
