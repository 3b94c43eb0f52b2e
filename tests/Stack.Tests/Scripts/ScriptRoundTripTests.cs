using Stack.Scripting;

namespace Stack.Tests.Scripts;

public sealed class ScriptRoundTripTests
{
    private static Script WithoutLines(Script s) =>
        s with { Events = new ValueList<ScriptEvent>(s.Events.Select(e => e with { Line = 0 })), Warnings = ValueList<ScriptWarning>.Empty };

    private static void AssertRoundTrips(Script parsed)
    {
        string printed = parsed.ToString();
        var reparsed = ScriptParser.Parse(printed, parsed.File);
        Assert.Equal(WithoutLines(parsed), WithoutLines(reparsed));
        Assert.Equal(printed, reparsed.ToString());
    }

    [Theory]
    [MemberData(nameof(CorpusNames))]
    public void Corpus_scripts_print_and_parse_back_to_the_same_model(string name) =>
        AssertRoundTrips(ScriptParser.ParseFile(ScriptCorpus.PathOf(name)));

    public static TheoryData<string> CorpusNames => ScriptCorpus.Names;

    [Theory]
    [InlineData("0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3")]
    [InlineData("0.1 setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0")]
    [InlineData("+0 < S 0:0(0) win 32792 <mss 1000,sackOK,nop,nop,nop,wscale 7>")]
    [InlineData("+0 > S. 0:0(0) ack 1 <mss 1460,nop,nop,sackOK,nop,wscale 8>")]
    [InlineData("+0.1 < . 1:1(0) ack 1 win 257")]
    [InlineData("+0 accept(3, ..., ...) = 4")]
    [InlineData("+0 > P. 1:1001(1000) ack 1")]
    [InlineData("+0 < R. 1:1(0) ack 1001 win 0")]
    [InlineData("+0 read(4, ..., 1000) = -1 ECONNRESET (Connection reset by peer)")]
    [InlineData("+0 connect(3, ..., ...) = -1 EINPROGRESS")]
    [InlineData("+0 getsockopt(3, SOL_SOCKET, SO_ERROR, [0], [4]) = 0")]
    [InlineData("+0 setsockopt(4, SOL_SOCKET, SO_LINGER, {onoff=1, linger=0}, 8) = 0")]
    [InlineData("+0 fcntl(3, F_SETFL, O_RDWR|O_NONBLOCK) = 0")]
    [InlineData("+0 poll([{fd=4, events=POLLIN, revents=POLLIN}], 1, 0) = 1")]
    [InlineData("+0 shutdown(4, SHUT_WR) = 0")]
    [InlineData("+0...0.3 accept(3, ..., ...) = 4")]
    [InlineData("0.1...0.25 accept(3, ..., ...) = 4")]
    [InlineData("* > F. 1:1(0) ack 1")]
    [InlineData("+0~+0.1 > . 1:1(0) ack 2")]
    [InlineData("0.1~0.2 > . 1:1(0) ack 2")]
    [InlineData("+0 > S 0:0(0) <...>")]
    [InlineData("+0 > . 1:1(0) ack 1 win ...")]
    [InlineData("+0 > . ...:...(...) ack ... win ... <TS val ... ecr 5,nop,nop>")]
    [InlineData("+0 getsockopt(4, SOL_TCP, TCP_INFO, {tcpi_state=TCP_ESTABLISHED, ...}, [...]) = 0")]
    [InlineData("+0 < . 1:1(0) ack 1001 win 257 <nop,nop,sack 1001:2001 3001:4001>")]
    [InlineData("+0 < . 1:1(0) ack 1 win 257 <TS val 100 ecr 0,eol,eol>")]
    [InlineData("+0 < .U 1:2(1) ack 1 win 100 urg 1")]
    [InlineData("+0 > - 1:1(0)")]
    [InlineData("+0 setsockopt(4, SOL_TCP, TCP_LINGER2, [-1], 4) = 0")]
    [InlineData("+0 `sysctl -q net.ipv4.tcp_timestamps=0`")]
    public void Each_construct_prints_as_written(string line)
    {
        var script = ScriptParser.Parse(line);
        Assert.Equal(line, Assert.Single(script.Events).ToString());
        AssertRoundTrips(script);
    }

    [Fact]
    public void Spacing_and_spelling_variants_print_canonically()
    {
        var e = Assert.Single(ScriptParser.Parse("+.100   poll( [ {fd = 4 ,events=POLLIN} ] ,1,0 )=1").Events);
        Assert.Equal("+0.1 poll([{fd=4, events=POLLIN}], 1, 0) = 1", e.ToString());
        var hex = Assert.Single(ScriptParser.Parse("0.000 setsockopt(3, SOL_SOCKET, SO_RCVBUF, [0x10], 4) = 0").Events);
        Assert.Equal("0 setsockopt(3, SOL_SOCKET, SO_RCVBUF, [16], 4) = 0", hex.ToString());
    }

    [Fact]
    public void Settings_print_when_they_differ_from_the_defaults()
    {
        var script = ScriptParser.Parse("--tolerance_usecs=10000\n--ip_version=ipv6\n0 close(3) = 0\n");
        Assert.Equal("--tolerance_usecs=10000\n--ip_version=ipv6\n0 close(3) = 0\n", script.ToString());
        AssertRoundTrips(script);
    }
}
