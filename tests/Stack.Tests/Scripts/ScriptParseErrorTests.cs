using Stack.Scripting;

namespace Stack.Tests.Scripts;

public sealed class ScriptParseErrorTests
{
    private const string Good = "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n";

    /// <summary>The bad line is the second line of a script, so the line number is always 2.</summary>
    [Theory]
    [InlineData("+0 < SX 0:0(0) win 100", 7, "unknown TCP flag 'X' in 'SX'; flags are F S R P . U E W")]
    [InlineData("+0 < SS 0:0(0) win 100", 7, "TCP flag 'S' appears twice in 'SS'")]
    [InlineData("+0 < S win 100", 8, "expected a sequence range like 1:1001(1000) after the flags, found 'win'")]
    [InlineData("+0 < S 0:0 win 100", 12, "expected '(' and a payload length after the sequence range, found 'win'")]
    [InlineData("+0 < S 0(0) win 100", 9, "expected ':' in the sequence range (start:end(length)), found '(0)'")]
    [InlineData("+0 < P. 1:1001(10) ack 1 win 100", 9, "the sequence range 1:1001 spans 1000 bytes but the length says 10")]
    [InlineData("+0 < S 0:0(0) win 100 <FO 123,nop,nop,nop>", 27, "expected a Fast Open cookie (hex, an even digit count, at most 38 bytes) or TFO_COOKIE, found '123'")]
    [InlineData("+0 < S 0:0(0) win 100 <FOEXP 12345g,nop,nop>", 30, "expected a Fast Open cookie (hex, an even digit count, at most 36 bytes) or TFO_COOKIE, found '12345g'")]
    [InlineData("+0 < S 0:0(0) win 100 <mss 1460,bogus 3>", 33, "unknown TCP option 'bogus'; known options are mss, wscale, sackOK, sack, TS, FO, FOEXP, md5, nop and eol")]
    [InlineData("+0 < S 0:0(0) win 100 <mss 1460 nop>", 33, "expected ',' or '>' in the option list, found 'nop>'")]
    [InlineData("+0 < S 0:0(0) win 100 <mss 1460", 23, "unclosed option list: '<' without '>'")]
    [InlineData("+0 < S 0:0(0) win 100 <mss 1460,wscale 7>", 23, "the options take 7 bytes; a TCP header needs a multiple of 4: add nop or eol")]
    [InlineData("+0 < S 0:0(0) win 100 <mss 70000>", 28, "the MSS 70000 is larger than 65535")]
    [InlineData("+0 < S 0:0(0) win 100 <...>", 24, "'<...>' (any options) is only allowed in outbound (>) packets: an injected packet needs its options spelled out")]
    [InlineData("+0 < . 1:1(0) ack ... win 100", 19, "'...' is only allowed in outbound (>) packets; the ack number needs a number")]
    [InlineData("+0 < S 0:0(0)", 14, "an inbound (<) packet needs a window: add 'win N' before the options")]
    [InlineData("+0 < S 0:0(0) win 70000", 19, "the window 70000 is larger than 65535")]
    [InlineData("+0 < S 0:0(0) win 1 win 2", 21, "'win' appears twice")]
    [InlineData("+0 > S 0:0(0) garbage", 15, "unexpected 'garbage' after the end of the event; one event per line")]
    [InlineData("+0 setsockopt(4, SOL_SOCKET, SO_LINGER, {onoff=1, linger=0, 8) = 0", 61, "expected a field name (name=value) or '...', found '8)'")]
    [InlineData("+0 setsockopt(4, SOL_SOCKET, SO_REUSEADDR, [1, 4) = 0", 49, "expected ',' or ']', found ')'")]
    [InlineData("+0 close(3 = 0", 12, "expected ',' or ')' in the arguments of close, found '='")]
    [InlineData("+0 close(3) = -1 EBOGUS", 18, "unknown errno name 'EBOGUS'")]
    [InlineData("+0 close(3) = 0 EBADF", 17, "an errno name goes with a -1 result, not 0")]
    [InlineData("+0 close(3) = -1 EBADF (Bad file", 24, "unclosed '(' in the errno description")]
    [InlineData("+0 close(3)", 12, "expected '= result' after close(...), found the end of the line")]
    [InlineData("+0 frobnicate(3) = 0", 4, "unknown system call 'frobnicate'; known: socket, bind, listen, accept, connect, write, read, send, recv, sendto, recvfrom, close, shutdown, setsockopt, getsockopt, fcntl, poll, sendmsg, recvmsg, ioctl, epoll_create, epoll_ctl, epoll_wait, open, sendfile, pipe, splice")]
    [InlineData("+0 accept(3, ...) = 4", 4, "accept takes 3 arguments, found 2")]
    [InlineData("+0 socket(..., SOCK_STRAEM, IPPROTO_TCP) = 3", 16, "unknown constant 'SOCK_STRAEM'")]
    [InlineData("+0 write(4, \"hello, 5) = 5", 13, "unclosed '\"'")]
    [InlineData("+0 write(4, \"a\\qb\", 5) = 5", 15, "unknown escape '\\q' in a quoted string")]
    [InlineData("+0 write(4, \"\\x\", 5) = 5", 14, "\\x needs one or two hex digits")]
    [InlineData("+0 fcntl(3, F_SETFL, [1]|O_NONBLOCK) = 0", 36, "only numbers and constants can be combined with '|'")]
    [InlineData("-0.1 close(3) = 0", 1, "negative times are not supported")]
    [InlineData("+0.1234567 close(3) = 0", 1, "times have microsecond resolution: at most 6 decimals")]
    [InlineData("+ close(3) = 0", 1, "expected a time in seconds such as 0.100 or +0.1, found '+'")]
    [InlineData("abc close(3) = 0", 1, "expected a time (0.100, +0.1, * or +0~+0.1) at the start of the line, found 'abc'")]
    [InlineData("+0~0.1 > . 1:1(0)", 4, "both ends of a time range are relative (+0~+0.1) or both absolute (0.1~0.2)")]
    [InlineData("+0.2~+0.1 > . 1:1(0)", 6, "a time range ends before it starts")]
    [InlineData("*...0.1 accept(3, ..., ...) = 4", 2, "a blocking call (start...end) needs a plain start time, not '*' or a range")]
    [InlineData("0.2...0.1 accept(3, ..., ...) = 4", 4, "a blocking call cannot return before it starts")]
    [InlineData("+0", 3, "expected a packet, a system call or a shell command after the time, found the end of the line")]
    [InlineData("+0 ? x", 4, "expected '<', '>', a system call or a `shell command` after the time, found '?'")]
    [InlineData("+0 %{ print(1) }", 4, "unterminated python block: '%{' without '}%'")]
    [InlineData("+0 `echo", 4, "unterminated shell command: no closing backquote")]
    [InlineData("`echo hi`", 1, "an untimed shell command after the first event must end the script (packetdrill's cleanup command); elsewhere give it a time, e.g. +0 `...`")]
    [InlineData("--tolerance_usecs=5", 1, "script options (--name=value) go before the first event")]
    [InlineData("/* never closed", 1, "unterminated comment: '/*' without '*/'")]
    public void A_malformed_line_names_file_line_column_and_the_problem(string badLine, int column, string reason)
    {
        var e = Assert.Throws<ScriptParseException>(() => ScriptParser.Parse(Good + badLine + "\n+0 close(3) = 0\n", "bad.pkt"));
        Assert.Equal(reason, e.Reason);
        Assert.Equal(2, e.Line);
        Assert.Equal(column, e.Column);
        Assert.Equal($"bad.pkt:2:{column}: {reason}", e.Message);
        Assert.Equal("bad.pkt", e.File);
    }

    [Theory]
    [InlineData("--ip_version=ipv4-mapped-ipv6", 14, "--ip_version=ipv4-mapped-ipv6 is not supported: this stack runs scripts over ipv4 or ipv6")]
    [InlineData("--ip_version=ipv5", 14, "--ip_version must be ipv4 or ipv6, found 'ipv5'")]
    [InlineData("--tolerance_usecs=lots", 19, "--tolerance_usecs needs a whole number of microseconds, found 'lots'")]
    [InlineData("--mtu=12", 7, "--mtu needs a whole number in range, found '12'")]
    [InlineData("--local_ip=nowhere", 12, "--local_ip needs an IPv4 or IPv6 address, found 'nowhere'")]
    [InlineData("--strict_segments=1", 18, "--strict_segments takes no value")]
    [InlineData("--tolerance_usecs 5", 18, "expected '=' after --tolerance_usecs, found '5'")]
    public void Bad_settings_are_reported(string line, int column, string reason)
    {
        var e = Assert.Throws<ScriptParseException>(() => ScriptParser.Parse(line + "\n"));
        Assert.Equal(reason, e.Reason);
        Assert.Equal((1, column), (e.Line, e.Column));
    }

    [Fact]
    public void An_unknown_option_is_refused_with_the_list_of_packetdrills()
    {
        var e = Assert.Throws<ScriptParseException>(() => ScriptParser.Parse("--frobnicate=1\n"));
        Assert.StartsWith("unknown script option --frobnicate; packetdrill's are --ip_version, --bind_port,", e.Reason, StringComparison.Ordinal);
        Assert.Contains("--tcp_ts_tick_usecs", e.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unbalanced_bracket_at_the_end_of_the_file_points_at_the_bracket()
    {
        var e = Assert.Throws<ScriptParseException>(() => ScriptParser.Parse("0 poll([{fd=4, events=POLLIN"));
        Assert.Equal("unclosed '{'", e.Reason);
        Assert.Equal((1, 9), (e.Line, e.Column));
        var e2 = Assert.Throws<ScriptParseException>(() => ScriptParser.Parse("0 poll([1, 2"));
        Assert.Equal("unclosed '['", e2.Reason);
        Assert.Equal((1, 8), (e2.Line, e2.Column));
    }

    [Fact]
    public void Deep_nesting_is_an_error_not_a_stack_overflow()
    {
        string deep = new string('[', 5000) + new string(']', 5000);
        var e = Assert.Throws<ScriptParseException>(() => ScriptParser.Parse($"0 close({deep}) = 0"));
        Assert.Equal("arguments nest more than 16 deep", e.Reason);
    }
}
