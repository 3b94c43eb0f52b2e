using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Stack.Tcp;
using Stack.Tcp.Wire;
using Stack.Tests.Support;
using TcpListener = Stack.Tcp.TcpListener;
using static Stack.Tests.Tcp.TcpHarness;

namespace Stack.Tests.Tcp;

/// <summary>
/// Issue 12, no silent connections: an exception inside a connection's entry point faults that connection (RST,
/// CLOSED, ConnectionAborted, counted and logged) and never leaves it wedged or stops the rest of the layer.
/// </summary>
public sealed class TcpFaultTests
{
    private static readonly TcpOptions NoTs = new() { Mss = 1460 };

    /// <summary>The passive handshake from the peer's port <paramref name="port"/>; our ISN for it is left in h.OurIsn.</summary>
    private static TcpConnection AcceptFrom(TcpHarness h, TcpListener listener, ushort port)
    {
        h.Inject(TcpFlags.Syn, 0, options: NoTs, from: port);
        h.Expect("S. 0:0(0) ack 1 **");
        h.Inject(TcpFlags.Ack, 1, 1, from: port);
        Assert.True(listener.TryAccept(out var c));
        return c;
    }

    /// <summary>The other connection still carries data both ways, its segments sent at once.</summary>
    private static void AssertStillExchangesData(TcpHarness h, TcpConnection c, uint isn)
    {
        h.OurIsn = isn;
        h.Inject(TcpFlags.Psh | TcpFlags.Ack, 1, 1, data: Pattern(10));
        h.Expect(". 1:1(0) ack 11 **"); // The first data is acknowledged at once (Linux's quick-ACK mode).
        Assert.Equal(10, c.Readable);
        Assert.Equal(5, c.Send(Pattern(5), h.Now));
        h.ExpectAfterAcks("P. 1:6(5) ack 11 **");
        Assert.Equal(TcpState.Established, c.State);
    }

    /// <param name="closed">The application had closed it (Receive then returns 0, as after any close).</param>
    private static void AssertFaulted(TcpHarness h, TcpConnection c, bool closed = false)
    {
        Assert.True(c.IsFaulted);
        Assert.Equal(TcpState.Closed, c.State);
        Assert.Equal(SocketError.ConnectionAborted, c.Error);
        Assert.Null(h.Tcp.Find(c.LocalEndPoint, c.RemoteEndPoint));
        Assert.Equal(1, h.Tcp.Statistics.Faulted);
        Assert.Equal(SocketError.ConnectionAborted, Assert.Throws<SocketException>(() => c.Send([1], h.Now)).SocketErrorCode);
        if (!closed)
        {
            Assert.Equal(SocketError.ConnectionAborted, Assert.Throws<SocketException>(() => c.Receive(new byte[10], h.Now)).SocketErrorCode);
        }
    }

    [Fact]
    public void StateChanged_handler_that_throws_resets_the_peer_and_fails_only_its_connection()
    {
        var log = new RecordingLogger();
        var h = new TcpHarness(log: log);
        var listener = h.Listen();
        var other = h.AcceptOne(listener, NoTs);
        uint otherIsn = h.OurIsn;
        TcpConnection? doomed = null;
        h.Tcp.ConnectionCreated += c =>
        {
            doomed = c;
            c.StateChanged += (_, t) =>
            {
                if (t.To == TcpState.Established) throw new InvalidOperationException("handler bug");
            };
        };

        h.Inject(TcpFlags.Syn, 0, options: NoTs, from: 40001);
        h.Expect("S. 0:0(0) ack 1 **");
        h.Inject(TcpFlags.Ack, 1, 1, from: 40001); // ESTABLISHED: the handler throws.

        var rst = h.Expect("R. 1:1(0) ack 1 win 0");
        Assert.Equal(40001, rst.Repr.DestinationPort);
        AssertFaulted(h, doomed!);
        Assert.Equal(0, listener.IncompleteCount);
        Assert.Equal(0, h.Tcp.HalfOpenCount);
        Assert.False(listener.TryAccept(out _));
        var error = Assert.Single(log.Entries, e => e.Level >= LogLevel.Warning);
        Assert.Equal(LogLevel.Error, error.Level);
        Assert.Equal("handler bug", error.Exception?.Message);
        Assert.Contains("Established", error.Message, StringComparison.Ordinal);
        AssertStillExchangesData(h, other, otherIsn);
    }

    [Fact]
    public void Notify_handler_that_throws_on_data_resets_the_peer_and_hears_of_the_fault_once_more()
    {
        var log = new RecordingLogger();
        var h = new TcpHarness(log: log);
        var listener = h.Listen();
        var other = h.AcceptOne(listener, NoTs);
        uint otherIsn = h.OurIsn;
        var doomed = AcceptFrom(h, listener, 40001);
        var calls = new List<TcpEvents>();
        doomed.Notify = (_, e) =>
        {
            calls.Add(e);
            throw new InvalidOperationException("handler bug"); // Every time, the second call too.
        };

        h.Inject(TcpFlags.Psh | TcpFlags.Ack, 1, 1, data: Pattern(10), from: 40001);

        h.Expect(". 1:1(0) ack 11 win 65535"); // The first data: acknowledged at once (quick-ack mode)...
        h.Expect("R. 1:1(0) ack 11 win 0"); // ...then the handler's fault resets the connection.
        h.ExpectNothing();
        AssertFaulted(h, doomed);
        Assert.Equal(0, doomed.Readable); // The received bytes are dropped with the connection.
        Assert.Equal(2, calls.Count);
        Assert.True(calls[0].HasFlag(TcpEvents.Readable));
        Assert.True(calls[1].HasFlag(TcpEvents.Error | TcpEvents.Closed));
        Assert.Equal([LogLevel.Error, LogLevel.Warning], log.Entries.Where(e => e.Level >= LogLevel.Warning).Select(e => e.Level));
        AssertStillExchangesData(h, other, otherIsn);
    }

    [Fact]
    public void Device_that_throws_in_a_retransmission_timeout_faults_the_connection_and_the_rst_still_goes()
    {
        var log = new RecordingLogger();
        var h = new TcpHarness(log: log);
        var c = h.AcceptOne(h.Listen(), NoTs);
        Assert.Equal(10, c.Send(Pattern(10), h.Now));
        h.Expect("P. 1:11(10) ack 1 **");

        h.ThrowOnTransmit = new IOException("device gone");
        h.Advance(c.Rto); // The retransmission throws inside the timer; the RST after it is sent.

        h.Expect("R. ** ack 1 win 0");
        h.ExpectNothing();
        AssertFaulted(h, c);
        Assert.Equal(0, h.Tcp.ConnectionCount);
        Assert.IsType<IOException>(Assert.Single(log.Entries, e => e.Level == LogLevel.Error).Exception);
        h.Advance(TimeSpan.FromMinutes(5));
        h.ExpectNothing(); // No timer of it is left.
    }

    [Fact]
    public void Handler_that_throws_when_a_timer_closes_the_connection_faults_it_and_other_timers_still_run()
    {
        var h = new TcpHarness();
        var listener = h.Listen();
        var other = h.AcceptOne(listener, NoTs);
        uint otherIsn = h.OurIsn;
        var doomed = AcceptFrom(h, listener, 40001);
        doomed.Close(h.Now);
        h.Expect("F. 1:1(0) ack 1 **");
        h.Inject(TcpFlags.Ack, 1, 2, from: 40001);
        Assert.Equal(TcpState.FinWait2, doomed.State);
        doomed.StateChanged += (_, _) => throw new InvalidOperationException("handler bug");
        // The other connection's first keep-alive probe falls due at the same instant as the FIN-WAIT-2 timeout.
        other.SetKeepAlive(true, TcpConfig.Default.FinWait2Timeout, TimeSpan.FromSeconds(75), 9, h.Now);

        h.Advance(TcpConfig.Default.FinWait2Timeout);

        // No RST: the connection was already CLOSED when the handler threw; it failed with an error all the same.
        h.OurIsn = otherIsn;
        var probe = h.Expect(". 0:0(0) ack 1 **");
        Assert.Equal(PeerPort, probe.Repr.DestinationPort);
        h.ExpectNothing();
        AssertFaulted(h, doomed, closed: true);
        AssertStillExchangesData(h, other, otherIsn);
    }

    [Fact]
    public void AcceptReady_handler_that_throws_after_a_nested_send_faults_the_connection_once()
    {
        var log = new RecordingLogger();
        var h = new TcpHarness(log: log);
        var listener = h.Listen();
        TcpConnection? accepted = null;
        listener.AcceptReady = l =>
        {
            Assert.True(l.TryAccept(out accepted));
            accepted.Send(Pattern(10), h.Now); // Inside the handshake's bracket: it goes out as that one leaves.
            throw new InvalidOperationException("handler bug");
        };

        h.Inject(TcpFlags.Syn, 0, options: NoTs);
        h.Expect("S. 0:0(0) ack 1 **");
        h.Inject(TcpFlags.Ack, 1, 1);

        h.Expect("R. 1:1(0) ack 1 win 0"); // The outermost bracket faulted before the data left.
        h.ExpectNothing();
        AssertFaulted(h, accepted!);
        Assert.Single(log.Entries, e => e.Level >= LogLevel.Warning);
    }

    [Fact]
    public void ConnectionCreated_handler_that_throws_leaves_no_half_made_connection_behind()
    {
        var h = new TcpHarness();
        h.Listen();
        bool fail = true;
        h.Tcp.ConnectionCreated += _ =>
        {
            if (fail) throw new InvalidOperationException("handler bug");
        };

        Assert.Throws<InvalidOperationException>(() => h.Inject(TcpFlags.Syn, 0, options: NoTs));
        Assert.Equal(0, h.Tcp.ConnectionCount);
        h.ExpectNothing();
        fail = false;
        h.Inject(TcpFlags.Syn, 0, options: NoTs); // The peer's retransmitted SYN finds the tuple free.
        h.Expect("S. 0:0(0) ack 1 **");
    }

    [Fact]
    public void Fatal_exception_is_not_made_a_fault_but_the_bracket_is_still_restored()
    {
        var h = new TcpHarness();
        var c = h.Connect();
        c.StateChanged += (_, t) =>
        {
#pragma warning disable CA2201 // Standing in for the runtime's own out-of-memory.
            if (t.To == TcpState.Established) throw new OutOfMemoryException();
#pragma warning restore CA2201
        };
        var syn = h.Expect("S 0:0(0) **");

        Assert.Throws<OutOfMemoryException>(() =>
            h.Inject(TcpFlags.Syn | TcpFlags.Ack, 0, 1, options: LinuxSyn(tsVal: 200) with { TsEcr = syn.Options.TsVal }));

        Assert.False(c.IsFaulted);
        Assert.Equal(0, h.Tcp.Statistics.Faulted);
        Assert.Equal(TcpState.Established, c.State); // Half done: the throw skipped the rest of the SYN-ACK's processing.
        Assert.Equal(10, c.Send(Pattern(10), h.Now));
        h.Expect("P. 1:11(10) ack 1 **"); // Sent at once: the throw left no bracket open.
    }
}
