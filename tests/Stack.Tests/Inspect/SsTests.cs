using Stack.Apps.Inspect;
using Stack.Sockets.Control;

namespace Stack.Tests.Inspect;

/// <summary>`stack ss`: its filter language and its columns, on sockets as the control socket reports them.</summary>
public sealed class SsTests
{
    private static readonly SocketEntry Listener = new("tcp", "LISTEN", 0, 128, "0.0.0.0", 7, "0.0.0.0", 0);
    private static readonly SocketEntry Echo = new("tcp", "ESTAB", 0, 0, "192.0.2.2", 7, "192.0.2.1", 40000, Details());
    private static readonly SocketEntry Web = new("tcp", "ESTAB", 5, 1000, "2001:db8::2", 80, "2001:db8::1", 50000, Details());
    private static readonly SocketEntry Waiting = new("tcp", "TIME-WAIT", 0, 0, "192.0.2.2", 13, "192.0.2.1", 40001, Details());
    private static readonly SocketEntry Datagram = new("udp", "UNCONN", 0, 0, "0.0.0.0", 7, "0.0.0.0", 0);
    private static readonly SocketEntry[] All = [Listener, Echo, Web, Waiting, Datagram];

    private static TcpSocketDetails Details() => new("cubic", true, true, 7, 7, 204_000, 52, 26, 30, 1448, 1448, 536, 1500,
        10, null, 1000, 0, 1000, 64, 3, 1, 4, 0, 0, 0, 0, 0, 0, 3, 0, 65535, 1.2e9, true, 0, 10, 20, 10, "Open",
        new TcpTimer("on", 203.4, 0));

    private static IReadOnlyList<SocketEntry> Select(SsOptions options, params string[] filter) =>
        SsCommand.Select(All, options, SsFilter.Parse(filter));

    [Fact]
    public void By_default_ss_shows_connections_neither_listening_nor_in_time_wait() =>
        Assert.Equal([Echo, Web], Select(new SsOptions()));

    [Fact]
    public void Listening_shows_listeners_and_unconnected_datagram_sockets() =>
        Assert.Equal([Listener, Datagram], Select(new SsOptions { Listening = true }));

    [Fact]
    public void All_with_tcp_only_shows_every_tcp_state() =>
        Assert.Equal([Listener, Echo, Waiting, Web], Select(new SsOptions { All = true, Tcp = true }));

    [Theory]
    [InlineData("state established", "7,80")]
    [InlineData("state time-wait", "13")]
    [InlineData("state bucket", "13")]
    [InlineData("state listening state established", "7,7,80")]
    [InlineData("exclude established", "7,13,7")]
    [InlineData("state all dport = :40000", "7")]
    [InlineData("state all dport == 40000", "7")]
    [InlineData("state all sport > :10", "13,80")]
    [InlineData("state all sport ge :13 and sport lt :80", "13")]
    [InlineData("state all ( sport = :7 or sport = :80 ) and not dst 192.0.2.1", "7,80,7")]
    [InlineData("state all dst 192.0.2.0/24", "7,13")]
    [InlineData("state all dst [2001:db8::1]:50000", "80")]
    [InlineData("state all src 192.0.2.2:13", "13")]
    [InlineData("state all dst != 192.0.2.1", "7,80,7")]
    [InlineData("state all sport=:7 !dst 0.0.0.0", "7")]
    public void The_filter_language_picks_what_ss_would(string filter, string localPorts)
    {
        var picked = Select(new SsOptions(), filter.Split(' '));
        Assert.Equal(localPorts, string.Join(',', picked.Select(s => s.LocalPort)));
    }

    [Theory]
    [InlineData("state nowhere", "unknown state 'nowhere'")]
    [InlineData("dport :7", "dport needs an operator")]
    [InlineData("dport = :99999", "':99999' is not a port")]
    [InlineData("( sport = :7", "'(' has no ')'")]
    [InlineData("dst 192.0.2.1/40", "bad prefix length")]
    [InlineData("frobnicate", "unexpected 'frobnicate'")]
    [InlineData("sport = :7 )", "unexpected ')'")]
    public void A_filter_that_does_not_parse_says_where(string filter, string message)
    {
        var e = Assert.Throws<FormatException>(() => SsFilter.Parse(filter.Split(' ')));
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_table_has_ss_columns_and_info_lines()
    {
        var output = new StringWriter();
        SsTable.Write([Listener, Echo, Web], new SsOptions { Tcp = true, Numeric = true, Info = true }, output);
        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);

        Assert.StartsWith("State", lines[0], StringComparison.Ordinal);
        Assert.Contains("Local Address:Port", lines[0], StringComparison.Ordinal);
        Assert.Matches(@"^LISTEN\s+0\s+128\s+0\.0\.0\.0:7\s+0\.0\.0\.0:\*$", lines[1]);
        Assert.Matches(@"^ESTAB\s+0\s+0\s+192\.0\.2\.2:7\s+192\.0\.2\.1:40000$", lines[2]);
        Assert.Matches(@"^\t ts sack cubic wscale:7,7 rto:204 rtt:0\.052/0\.026 mss:1448 pmtu:1500 rcvmss:536 advmss:1448 cwnd:10 ", lines[3]);
        Assert.Contains(" delivery_rate 1.2Gbps ", lines[3], StringComparison.Ordinal);
        Assert.Contains(" app_limited ", lines[3], StringComparison.Ordinal);
        Assert.Contains(" minrtt:0.03 ", lines[3], StringComparison.Ordinal);
        Assert.Matches(@"^ESTAB\s+5\s+1000\s+\[2001:db8::2\]:80\s+\[2001:db8::1\]:50000$", lines[4]);
        Assert.Equal(6, lines.Length);
    }

    [Fact]
    public void Options_shows_the_timer_as_ss_o_does()
    {
        Assert.Equal("timer:(on,203ms,0)", SsTable.Details(Details(), info: false, timer: true));
        Assert.Equal("timer:(keepalive,7.2sec,0)",
            SsTable.Details(Details() with { Timer = new TcpTimer("keepalive", 7200, 0) }, info: false, timer: true));
    }

    [Fact]
    public void Both_protocols_get_a_netid_column()
    {
        var output = new StringWriter();
        SsTable.Write([Listener, Datagram], new SsOptions { Listening = true, Numeric = true }, output);
        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("Netid", lines[0], StringComparison.Ordinal);
        Assert.StartsWith("tcp ", lines[1], StringComparison.Ordinal);
        Assert.StartsWith("udp ", lines[2], StringComparison.Ordinal);
    }

    [Fact]
    public void A_multi_queue_stack_s_sockets_get_a_shard_column_and_a_one_loop_stack_s_do_not()
    {
        var output = new StringWriter();
        SsTable.Write([Listener with { Shard = 0 }, Listener with { Shard = 1 }, Echo with { Shard = 1 }, Datagram with { Shard = 0 }],
            new SsOptions { All = true, Numeric = true }, output);
        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Matches(@"^Netid\s+State\s+Recv-Q\s+Send-Q\s+Local Address:Port\s+Peer Address:Port\s+Shard$", lines[0]);
        Assert.Matches(@"^tcp\s+LISTEN\s+0\s+128\s+0\.0\.0\.0:7\s+0\.0\.0\.0:\*\s+0$", lines[1]);
        Assert.Matches(@"^tcp\s+LISTEN\s+0\s+128\s+0\.0\.0\.0:7\s+0\.0\.0\.0:\*\s+1$", lines[2]);
        Assert.Matches(@"^tcp\s+ESTAB\s+0\s+0\s+192\.0\.2\.2:7\s+192\.0\.2\.1:40000\s+1$", lines[3]);
        Assert.Matches(@"^udp\s+UNCONN\s+0\s+0\s+0\.0\.0\.0:7\s+0\.0\.0\.0:\*\s+0$", lines[4]);

        output = new StringWriter();
        SsTable.Write([Listener, Echo], new SsOptions { Tcp = true, Numeric = true }, output);
        Assert.DoesNotContain("Shard", output.ToString(), StringComparison.Ordinal);
        Assert.Matches(@"(?m)^ESTAB\s+0\s+0\s+192\.0\.2\.2:7\s+192\.0\.2\.1:40000\r?$", output.ToString());
    }
}
