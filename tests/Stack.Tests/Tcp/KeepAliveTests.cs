using System.Net.Sockets;
using Stack.Tcp;
using Stack.Tcp.Wire;
using static Stack.Tests.Tcp.TcpHarness;

namespace Stack.Tests.Tcp;

public sealed class KeepAliveTests
{
    private static readonly TcpOptions NoTs = new() { Mss = 1460 };

    [Fact]
    public void Off_by_default_an_idle_connection_stays_silent()
    {
        var h = new TcpHarness();
        var c = h.AcceptOne(h.Listen(), NoTs);
        h.Advance(TimeSpan.FromHours(5));
        h.ExpectNothing();
        Assert.Equal(TcpState.Established, c.State);
    }

    [Fact]
    public void Linux_defaults_probe_after_two_hours_then_every_75_s_and_fail_after_nine()
    {
        var h = new TcpHarness(TcpConfig.Default with { KeepAlive = true });
        var c = h.AcceptOne(h.Listen(), NoTs);
        h.Advance(TimeSpan.FromHours(2) - TimeSpan.FromSeconds(1));
        h.ExpectNothing();
        h.Advance(TimeSpan.FromSeconds(1));
        h.Expect(". 0:0(0) ack 1 **");
        for (int i = 1; i < 9; i++)
        {
            h.Advance(TimeSpan.FromSeconds(75));
            h.Expect(". 0:0(0) ack 1 **");
        }
        h.Advance(TimeSpan.FromSeconds(75));
        h.Expect("R. 1:1(0) ack 1 **");
        Assert.Equal(TcpState.Closed, c.State);
        Assert.Equal(SocketError.TimedOut, c.Error);
    }

    [Fact]
    public void Data_in_flight_defers_probing_to_the_retransmission_timer()
    {
        var h = new TcpHarness(TcpConfig.Default with { KeepAlive = true, KeepAliveIdle = TimeSpan.FromSeconds(1) });
        var c = h.AcceptOne(h.Listen(), NoTs);
        c.Send(Pattern(10), h.Now);
        h.Expect("P. 1:11(10) ack 1 **");
        h.Advance(TimeSpan.FromSeconds(3));
        Assert.True(h.SentCount > 0);
        while (h.SentCount > 0)
        {
            h.Expect("P. 1:11(10) ack 1 **"); // Retransmissions, never a probe.
        }
    }

    [Fact]
    public void Turned_on_for_a_live_connection_it_counts_the_idle_time_from_the_last_segment_heard()
    {
        var h = new TcpHarness();
        var c = h.AcceptOne(h.Listen(), NoTs);
        h.Advance(TimeSpan.FromSeconds(50));
        c.SetKeepAlive(true, TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(5), 2, h.Now);
        h.ExpectNothing();
        h.Advance(TimeSpan.FromSeconds(10)); // 60 s since the handshake's last segment.
        h.Expect(". 0:0(0) ack 1 **");
        h.Inject(TcpFlags.Ack, 1, 1); // The answer ends the probing.
        h.Advance(TimeSpan.FromSeconds(59));
        h.ExpectNothing();

        c.SetKeepAlive(false, TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(5), 2, h.Now);
        h.Advance(TimeSpan.FromHours(3));
        h.ExpectNothing();
        Assert.Equal(TcpState.Established, c.State);
        Assert.Throws<ArgumentOutOfRangeException>(() => c.SetKeepAlive(true, TimeSpan.Zero, TimeSpan.FromSeconds(1), 1, h.Now));
    }
}
