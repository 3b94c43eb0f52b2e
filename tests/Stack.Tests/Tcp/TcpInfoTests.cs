using Stack.Tcp;
using Stack.Tcp.Wire;
using static Stack.Tests.Tcp.TcpHarness;

namespace Stack.Tests.Tcp;

/// <summary>TcpConnection.GetInfo: Linux's tcp_info units and sentinels, the one reading ss and the script runner share.</summary>
public sealed class TcpInfoTests
{
    [Fact]
    public void Before_the_handshake_there_is_no_congestion_window_ssthresh_or_rtt_sample()
    {
        var h = new TcpHarness();
        var c = h.Connect();
        var info = c.GetInfo(h.Now);
        Assert.Equal(TcpState.SynSent, info.State);
        Assert.True(info.CwndUnbounded);
        Assert.Equal(TcpInfo.InfiniteSsthresh, info.SndSsthresh);
        Assert.Equal(TcpInfo.NoMinRtt, info.MinRtt);
        Assert.Equal(1_000_000, info.Rto);
    }

    [Fact]
    public void After_the_handshake_the_window_is_in_segments_and_the_options_are_linux_bits()
    {
        var h = new TcpHarness();
        var c = h.Connect();
        var syn = h.Expect("S 0:0(0) **");
        h.Advance(TimeSpan.FromMilliseconds(10));
        h.Inject(TcpFlags.Syn | TcpFlags.Ack, 0, 1, options: LinuxSyn(tsVal: 200) with { TsEcr = syn.Options.TsVal });
        h.Expect(". 1:1(0) ack 1 **");
        h.Advance(TimeSpan.FromMilliseconds(5));

        var info = c.GetInfo(h.Now);
        Assert.False(info.CwndUnbounded);
        Assert.Equal(10, info.SndCwnd); // RFC 6928's initial window, in segments as Linux counts it.
        Assert.Equal(TcpInfo.OptTimestamps | TcpInfo.OptSack | TcpInfo.OptWscale, info.Options);
        Assert.Equal(10_000, info.MinRtt); // The SYN's 10 ms, in microseconds.
        Assert.Equal(5, info.LastAckRecv); // Milliseconds since.
        Assert.Equal(info, c.GetInfo(h.Now)); // A value: the same reading twice is equal.
    }

    [Fact]
    public void A_socket_that_never_connected_reads_as_linux_tcp_init_sock()
    {
        var info = TcpInfo.Unconnected;
        Assert.Equal((536, 10L, TcpInfo.InfiniteSsthresh, 3, 1_000_000L), (info.SndMss, info.SndCwnd, info.SndSsthresh, info.Reordering, info.Rto));
    }
}
