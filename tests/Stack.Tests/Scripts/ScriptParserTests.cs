using Stack.IP;
using Stack.Scripting;
using Stack.Tcp.Wire;

namespace Stack.Tests.Scripts;

public sealed class ScriptParserTests
{
    private static ScriptEvent Single(string line) => Assert.Single(ScriptParser.Parse(line).Events);

    private static T Single<T>(string line) where T : ScriptEvent => Assert.IsType<T>(Single(line));

    [Theory]
    [InlineData("0 close(3) = 0", ScriptTimeKind.Absolute, 0L)]
    [InlineData("0.100 close(3) = 0", ScriptTimeKind.Absolute, 100_000L)]
    [InlineData("1.5 close(3) = 0", ScriptTimeKind.Absolute, 1_500_000L)]
    [InlineData("0.000001 close(3) = 0", ScriptTimeKind.Absolute, 1L)]
    [InlineData("+0 close(3) = 0", ScriptTimeKind.Relative, 0L)]
    [InlineData("+.1 close(3) = 0", ScriptTimeKind.Relative, 100_000L)]
    [InlineData("+1.25 close(3) = 0", ScriptTimeKind.Relative, 1_250_000L)]
    [InlineData("* close(3) = 0", ScriptTimeKind.Any, 0L)]
    public void Times_are_read_in_microseconds(string line, ScriptTimeKind kind, long micros)
    {
        var time = Single(line).Time;
        Assert.Equal(kind, time.Kind);
        Assert.Equal(micros, time.Start.Microseconds);
        Assert.Null(time.BlockingEnd);
        Assert.Null(time.RangeEnd);
    }

    [Fact]
    public void Ranges_are_relative_or_absolute_at_both_ends()
    {
        var relative = Single("+0~+0.1 > . 1:1(0) ack 2").Time;
        Assert.Equal(ScriptTime.Range(new TimePoint(0, true), new TimePoint(100_000, true)), relative);
        var absolute = Single("0.1~0.25 > . 1:1(0) ack 2").Time;
        Assert.Equal(ScriptTime.Range(new TimePoint(100_000, false), new TimePoint(250_000, false)), absolute);
    }

    [Fact]
    public void A_blocking_call_has_an_end_time_on_the_start_times_reference()
    {
        var e = Single<SyscallEvent>("+0...0.300 accept(3, ..., ...) = 4");
        Assert.Equal(ScriptTimeKind.Relative, e.Time.Kind);
        Assert.Equal(0, e.Time.Start.Microseconds);
        Assert.Equal(new TimePoint(300_000, true), e.Time.BlockingEnd);

        var absolute = Single<SyscallEvent>("0.1...0.2 read(4, ..., 10) = 10").Time;
        Assert.Equal(new TimePoint(200_000, false), absolute.BlockingEnd);
        Assert.Equal(200_000, absolute.BlockingEnd!.Value.Resolve(5_000_000));
    }

    [Theory]
    [InlineData("0.5 close(3) = 0", 490_000L, 510_000L)]
    [InlineData("+0.1 close(3) = 0", 1_090_000L, 1_110_000L)]
    [InlineData("+0~+0.2 > . 1:1(0)", 990_000L, 1_210_000L)]
    [InlineData("0.1~0.2 > . 1:1(0)", 90_000L, 210_000L)]
    public void Times_resolve_to_a_window_with_the_tolerance(string line, long earliest, long latest) =>
        Assert.Equal((earliest, latest), Single(line).Time.Window(previousMicroseconds: 1_000_000, toleranceMicroseconds: 10_000));

    [Fact]
    public void Any_time_has_no_window_and_blocking_calls_resolve_their_end()
    {
        Assert.Null(Single("* > . 1:1(0)").Time.Window(1_000_000, 10_000));
        Assert.Equal(1_300_000, Single("+0...0.3 accept(3, ..., ...) = 4").Time.BlockingEndAt(1_000_000));
        Assert.Equal(300_000, Single("0.1...0.3 accept(3, ..., ...) = 4").Time.BlockingEndAt(1_000_000));
        Assert.Null(Single("+0 close(3) = 0").Time.BlockingEndAt(1_000_000));
    }

    [Fact]
    public void An_inbound_syn_keeps_its_options_in_script_order()
    {
        var p = Single<PacketEvent>("+0  < S 0:0(0) win 32792 <mss 1000,sackOK,nop,nop,nop,wscale 7>");
        Assert.Equal(PacketDirection.In, p.Direction);
        Assert.Equal(TcpFlags.Syn, p.Flags);
        Assert.Equal(ScriptNumber.Of(0), p.StartSeq);
        Assert.Equal(ScriptNumber.Of(0), p.EndSeq);
        Assert.Equal(ScriptNumber.Of(0), p.PayloadLength);
        Assert.Equal(ScriptNumber.Absent, p.Ack);
        Assert.Equal(ScriptNumber.Of(32792), p.Window);
        Assert.Equal(PacketOptionsKind.List, p.OptionsKind);
        Assert.Equal(
            [
                new ScriptTcpOption.Mss(ScriptNumber.Of(1000)), new ScriptTcpOption.SackPermitted(), new ScriptTcpOption.Nop(),
                new ScriptTcpOption.Nop(), new ScriptTcpOption.Nop(), new ScriptTcpOption.WindowScale(ScriptNumber.Of(7)),
            ],
            p.Options.ToArray());
    }

    [Theory]
    [InlineData("FO 1122", new byte[] { 0x11, 0x22 })]
    [InlineData("FO 112233,nop,nop,nop", new byte[] { 0x11, 0x22, 0x33 })]
    [InlineData("FO 01234567aabbccdd0123456701234567afaf", new byte[] { 0x01, 0x23, 0x45, 0x67, 0xaa, 0xbb, 0xcc, 0xdd, 0x01, 0x23, 0x45, 0x67, 0x01, 0x23, 0x45, 0x67, 0xaf, 0xaf })]
    public void Cookies_RFC_7413_calls_invalid_are_read_as_packetdrill_reads_them(string option, byte[] cookie)
    {
        // packetdrill takes any whole number of bytes, so scripts can check that a stack ignores such cookies.
        var p = Single<PacketEvent>($"+0 < S. 0:0(0) ack 1 win 100 <{option}>");
        var fo = Assert.IsType<ScriptTcpOption.FastOpen>(p.Options[0]);
        Assert.Equal(cookie, fo.Cookie.ToArray());
    }

    [Theory]
    [InlineData("S", TcpFlags.Syn)]
    [InlineData("S.", TcpFlags.Syn | TcpFlags.Ack)]
    [InlineData(".", TcpFlags.Ack)]
    [InlineData("P.", TcpFlags.Psh | TcpFlags.Ack)]
    [InlineData("F.", TcpFlags.Fin | TcpFlags.Ack)]
    [InlineData("FP.", TcpFlags.Fin | TcpFlags.Psh | TcpFlags.Ack)]
    [InlineData("R", TcpFlags.Rst)]
    [InlineData("R.", TcpFlags.Rst | TcpFlags.Ack)]
    [InlineData("SEW", TcpFlags.Syn | TcpFlags.Ece | TcpFlags.Cwr)]
    [InlineData(".U", TcpFlags.Urg | TcpFlags.Ack)]
    [InlineData("-", TcpFlags.None)]
    public void Flags_are_packetdrills_letters(string letters, TcpFlags flags)
    {
        var p = Single<PacketEvent>($"+0 > {letters} 1:1(0)");
        Assert.Equal(flags, p.Flags);
        Assert.Equal(letters, PacketEvent.FormatFlags(flags));
    }

    [Fact]
    public void An_outbound_data_segment_with_ack()
    {
        var p = Single<PacketEvent>("+0  > P. 1:1001(1000) ack 1");
        Assert.Equal(PacketDirection.Out, p.Direction);
        Assert.Equal((1u, 1001u, 1000u, 1u), (p.StartSeq.Value, p.EndSeq.Value, p.PayloadLength.Value, p.Ack.Value));
        Assert.Equal(ScriptNumber.Absent, p.Window);
        Assert.Equal(PacketOptionsKind.None, p.OptionsKind);
    }

    [Fact]
    public void Outbound_lines_may_leave_values_unchecked()
    {
        var p = Single<PacketEvent>("+0  > . 1:...(...) ack ... win ... <mss ...,sackOK,TS val ... ecr ...,nop,wscale ...>");
        Assert.Equal(ScriptNumber.Any, p.EndSeq);
        Assert.Equal(ScriptNumber.Any, p.PayloadLength);
        Assert.Equal(ScriptNumber.Any, p.Ack);
        Assert.Equal(ScriptNumber.Any, p.Window);
        Assert.Equal(new ScriptTcpOption.Timestamp(ScriptNumber.Any, ScriptNumber.Any), p.Options[2]);

        var any = Single<PacketEvent>("+0  > S 0:0(0) <...>");
        Assert.Equal(PacketOptionsKind.Any, any.OptionsKind);
        Assert.Empty(any.Options);
    }

    [Fact]
    public void Sack_timestamps_and_eol()
    {
        var p = Single<PacketEvent>("+0 < . 1:1(0) ack 1001 win 257 <nop,nop,sack 1001:2001 3001:4001,TS val 100 ecr 0,eol,eol>");
        Assert.Equal(new ScriptTcpOption.Sack(new ValueList<SackBlock>([new SackBlock(1001, 2001), new SackBlock(3001, 4001)])), p.Options[2]);
        Assert.Equal(new ScriptTcpOption.Timestamp(ScriptNumber.Of(100), ScriptNumber.Of(0)), p.Options[3]);
        Assert.IsType<ScriptTcpOption.Eol>(p.Options[4]);
        Assert.Equal(ScriptNumber.Of(1001), p.Ack);
    }

    [Fact]
    public void Reset_with_window_zero_and_urgent_pointer()
    {
        var r = Single<PacketEvent>("+0  < R. 1:1(0) ack 1001 win 0");
        Assert.Equal(TcpFlags.Rst | TcpFlags.Ack, r.Flags);
        Assert.Equal(ScriptNumber.Of(0), r.Window);
        var u = Single<PacketEvent>("+0  < U. 1:2(1) ack 1 win 100 urg 1");
        Assert.Equal(ScriptNumber.Of(1), u.UrgentPointer);
    }

    [Fact]
    public void Syscall_arguments_form_a_small_expression_tree()
    {
        var e = Single<SyscallEvent>("0   socket(..., SOCK_STREAM, IPPROTO_TCP) = 3");
        Assert.Equal("socket", e.Name);
        Assert.Equal([new SyscallArg.Ellipsis(), new SyscallArg.Constant("SOCK_STREAM"), new SyscallArg.Constant("IPPROTO_TCP")], e.Arguments.ToArray());
        Assert.Equal(new SyscallResult(3), e.Result);

        var fcntl = Single<SyscallEvent>("+0  fcntl(3, F_SETFL, O_RDWR|O_NONBLOCK) = 0");
        var or = Assert.IsType<SyscallArg.BitOr>(fcntl.Arguments[2]);
        Assert.True(or.TryEvaluate(out long flags));
        Assert.Equal(0x802, flags);

        var linger = Single<SyscallEvent>("+0  setsockopt(4, SOL_SOCKET, SO_LINGER, {onoff=1, linger=0}, 8) = 0");
        var s = Assert.IsType<SyscallArg.StructLiteral>(linger.Arguments[3]);
        Assert.False(s.IsOpen);
        Assert.Equal(new SyscallArg.Number(1), s["onoff"]);
        Assert.Equal(new SyscallArg.Number(0), s["linger"]);
        Assert.Null(s["nothing"]);

        var reuse = Single<SyscallEvent>("+0  setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0");
        Assert.Equal(new SyscallArg.ArrayLiteral(new ValueList<SyscallArg>([new SyscallArg.Number(1)])), reuse.Arguments[3]);
    }

    [Fact]
    public void Quoted_strings_are_bytes_with_their_c_escapes_undone()
    {
        var e = Single<SyscallEvent>("+0  setsockopt(3, SOL_TCP, TCP_FASTOPEN_KEY, \"\\xf7\\x63a\\n\\0\\101\\\"\", 7) = 0");
        var bytes = Assert.IsType<SyscallArg.Bytes>(e.Arguments[3]);
        Assert.Equal(new byte[] { 0xf7, 0x63, (byte)'a', (byte)'\n', 0, (byte)'A', (byte)'"' }, bytes.Value.ToArray());
        Assert.Equal("\"\\xf7\\x63a\\n\\0\\101\\\"\"", bytes.ToString());
        var empty = Single<SyscallEvent>("+0  open(\"\", O_RDONLY) = -1 ENOENT");
        Assert.Empty(Assert.IsType<SyscallArg.Bytes>(empty.Arguments[0]).Value);
    }

    [Fact]
    public void Tcp_info_asserts_a_state_in_an_open_struct()
    {
        var e = Single<SyscallEvent>("+0  getsockopt(4, SOL_TCP, TCP_INFO, {tcpi_state=TCP_ESTABLISHED, ...}, [...]) = 0");
        var s = Assert.IsType<SyscallArg.StructLiteral>(e.Arguments[3]);
        Assert.True(s.IsOpen);
        var state = Assert.IsType<SyscallArg.Constant>(s["tcpi_state"]);
        Assert.True(ScriptConstants.TryGetState(state.Name, out var tcpState));
        Assert.Equal(Stack.Tcp.TcpState.Established, tcpState);
        Assert.Equal(new SyscallArg.ArrayLiteral(new ValueList<SyscallArg>([new SyscallArg.Ellipsis()])), e.Arguments[4]);
    }

    [Fact]
    public void Poll_takes_a_list_of_structs()
    {
        var e = Single<SyscallEvent>("+0  poll([{fd=4, events=POLLIN|POLLOUT, revents=POLLIN}], 1, 0) = 1");
        var list = Assert.IsType<SyscallArg.ArrayLiteral>(e.Arguments[0]);
        var pfd = Assert.IsType<SyscallArg.StructLiteral>(Assert.Single(list.Items));
        Assert.True(pfd["events"]!.TryEvaluate(out long events));
        Assert.Equal(5, events);
        Assert.True(pfd["revents"]!.TryEvaluate(out long revents));
        Assert.Equal(1, revents);
    }

    [Fact]
    public void Errors_carry_errno_and_optional_text()
    {
        var e = Single<SyscallEvent>("+0  read(4, ..., 1000) = -1 ECONNRESET (Connection reset by peer)");
        Assert.Equal(new SyscallResult(-1, "ECONNRESET", "Connection reset by peer"), e.Result);
        Assert.True(e.Result.IsError);
        var bare = Single<SyscallEvent>("+0  connect(3, ..., ...) = -1 EINPROGRESS");
        Assert.Equal(new SyscallResult(-1, "EINPROGRESS"), bare.Result);
        var getsockopt = Single<SyscallEvent>("+0  getsockopt(3, SOL_SOCKET, SO_ERROR, [0], [4]) = 0");
        Assert.Equal(new SyscallResult(0), getsockopt.Result);
    }

    [Theory]
    [InlineData("+0 shutdown(4, SHUT_WR) = 0")]
    [InlineData("+0 listen(3, 1) = 0")]
    [InlineData("+0 bind(3, ..., ...) = 0")]
    [InlineData("+0 send(4, ..., 10, 0) = 10")]
    [InlineData("+0 recv(4, ..., 10, MSG_PEEK) = 10")]
    [InlineData("+0 sendto(4, ..., 10, 0, ..., ...) = 10")]
    [InlineData("+0 recvfrom(4, ..., 10, 0, ..., ...) = 10")]
    [InlineData("+0 fcntl(3, F_GETFL) = 2")]
    [InlineData("+0 setsockopt(4, SOL_TCP, TCP_KEEPIDLE, [60], 4) = 0")]
    [InlineData("+0 setsockopt(4, SOL_TCP, TCP_LINGER2, [-1], 4) = 0")]
    [InlineData("+0 setsockopt(4, SOL_SOCKET, SO_RCVBUF, [0x10000], 4) = 0")]
    public void Every_listed_call_parses(string line) => Single<SyscallEvent>(line);

    [Fact]
    public void Shell_commands_are_kept_as_events_the_init_and_cleanup_ones_untimed()
    {
        var script = ScriptParser.Parse(
            "`sysctl -q net.ipv4.tcp_timestamps=0`\n0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 `echo hi`\n\n`/tmp/sysctl_restore_${PPID}.sh`\n// end\n", "t.pkt");
        var first = Assert.IsType<ShellCommandEvent>(script.Events[0]);
        Assert.Equal("sysctl -q net.ipv4.tcp_timestamps=0", first.Command);
        Assert.Equal(ScriptTime.Relative(0), first.Time);
        Assert.Equal("echo hi", Assert.IsType<ShellCommandEvent>(script.Events[2]).Command);
        var cleanup = Assert.IsType<ShellCommandEvent>(script.Events[3]);
        Assert.Equal("/tmp/sysctl_restore_${PPID}.sh", cleanup.Command);
        Assert.Equal(5, cleanup.Line);
        Assert.Empty(script.Warnings);
    }

    [Fact]
    public void An_inbound_ack_without_a_number_acknowledges_nothing_new_as_in_packetdrill()
    {
        var p = Single<PacketEvent>("+0 < . 1:10001(10000) win 320");
        Assert.Equal(ScriptNumber.Of(0), p.Ack);
    }

    [Fact]
    public void Results_may_be_hex_and_carry_a_note()
    {
        var s = Single<SyscallEvent>("+0 fcntl(3, F_GETFL) = 0x2 (flags O_RDWR)");
        Assert.Equal(2, s.Result.Value);
    }

    [Fact]
    public void Every_packetdrill_option_is_accepted_and_those_that_matter_are_read()
    {
        var script = ScriptParser.Parse("""
            --local_ip=192.0.2.22
            --remote_ip=2001:db8::11
            --mtu=1400
            --mss=1000
            --tcp_ts_tick_usecs=1000
            --tolerance_percent=1.5
            --strict_segments
            --tcp_ts_ecr_scaled // used later
            --wire_client
            --define="CC=reno"
            0 close(3) = 0
            """, "o.pkt");
        var s = script.Settings;
        Assert.Equal(IpAddress.Parse("192.0.2.22"), s.LocalAddress);
        Assert.Equal(IpAddress.Parse("2001:db8::11"), s.RemoteAddress);
        Assert.Equal((1400, 1000, 1000, 1.5), (s.Mtu, s.Mss, s.TsTickMicroseconds, s.TolerancePercent));
        Assert.True(s.StrictSegments && s.TsEcrScaled);
        Assert.Equal(2, script.Warnings.Count); // --wire_client and --define mean nothing here
        Assert.Contains("--wire_client has no meaning for this runner", script.Warnings[0].Message, StringComparison.Ordinal);
        Assert.Equal(s, ScriptParser.Parse(script.ToString()).Settings); // printed back, every setting survives
    }

    [Fact]
    public void Settings_lines_set_tolerance_and_family()
    {
        var script = ScriptParser.Parse("// header\n--tolerance_usecs=10000\n--ip_version=ipv6\n0 close(3) = 0\n");
        Assert.Equal(new ScriptSettings(10_000, ScriptIpVersion.Ipv6), script.Settings);
        Assert.Equal(ScriptSettings.DefaultToleranceMicroseconds, ScriptParser.Parse("0 close(3) = 0").Settings.ToleranceMicroseconds);
        Assert.Equal(ScriptIpVersion.Ipv4, ScriptParser.Parse("--ip_version=ipv4\n").Settings.IpVersion);
    }

    [Fact]
    public void Comments_blank_lines_and_line_numbers()
    {
        const string text = """
            // a comment

            /* a block
               comment */ 0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3   // trailing
            +0 bind(3, ..., ...) = 0 /* trailing block */
            +0 setsockopt(4, SOL_SOCKET, SO_LINGER, {onoff=1,
                                                     linger=0}, 8) = 0
            +0 close(3) = 0
            """;
        var script = ScriptParser.Parse(text);
        Assert.Equal([4, 5, 6, 8], script.Events.Select(e => e.Line));
    }

    [Fact]
    public void Crlf_line_ends_are_fine()
    {
        var script = ScriptParser.Parse("0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\r\n+0 close(3) = 0\r\n");
        Assert.Equal(2, script.Events.Count);
    }

    [Theory]
    [MemberData(nameof(CorpusNames))]
    public void The_corpus_parses(string name)
    {
        var script = ScriptParser.ParseFile(ScriptCorpus.PathOf(name));
        Assert.NotEmpty(script.Events);
        Assert.Empty(script.Warnings);
    }

    [Fact]
    public void The_corpus_is_there() => Assert.True(ScriptCorpus.Files.Count() >= 3);

    public static TheoryData<string> CorpusNames => ScriptCorpus.Names;
}
