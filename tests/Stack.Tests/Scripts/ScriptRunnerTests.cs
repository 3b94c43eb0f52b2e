using Stack.Apps;
using Stack.Scripting;

using Stack.Tests.Support;

namespace Stack.Tests.Scripts;

/// <summary>
/// Every packetdrill script under tests/ runs against the stack (in both families unless it pins one), and the
/// runner's own contract: failures point at the line with both notations, time is virtual, runs repeat exactly.
/// </summary>
public sealed class ScriptRunnerTests
{
    /// <summary>(script path from the repository root, family): one case per file and family, named by the file.</summary>
    public static TheoryData<string, string> Scripts
    {
        get
        {
            var data = new TheoryData<string, string>();
            foreach (var path in ScriptCorpus.AllUnderTests)
            {
                string text = File.ReadAllText(Path.Combine(ScriptCorpus.Root, path));
                if (text.Contains("--ip_version", StringComparison.Ordinal))
                {
                    data.Add(path, "script");
                    continue;
                }
                data.Add(path, "ipv4");
                data.Add(path, "ipv6");
            }
            return data;
        }
    }

    [Theory]
    [MemberData(nameof(Scripts))]
    public void Script_passes(string path, string family)
    {
        var script = ScriptParser.ParseFile(Path.Combine(ScriptCorpus.Root, path));
        ScriptIpVersion? version = family switch
        {
            "ipv4" => ScriptIpVersion.Ipv4,
            "ipv6" => ScriptIpVersion.Ipv6,
            _ => null,
        };
        var result = ScriptRunner.Run(script, version);
        Assert.True(result.Passed, $"{result}\n\ntranscript:\n{string.Join('\n', result.Transcript)}");
    }

    private const string Handshake = """
        0     socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
        +0    bind(3, ..., ...) = 0
        +0    listen(3, 1) = 0
        +0    < S 0:0(0) win 65535 <mss 1460,nop,wscale 7>
        +0    > S. 0:0(0) ack 1 <mss 1460,nop,wscale 7>
        +.01  < . 1:1(0) ack 1 win 514
        +0    accept(3, ..., ...) = 4

        """;

    [Fact]
    public void A_python_block_whose_assert_fails_fails_the_script_at_its_line_with_the_values()
    {
        var script = ScriptParser.Parse(Handshake + """
            +0    %{ assert tcpi_snd_cwnd == 10 }%
            +0    %{ assert tcpi_snd_cwnd == 99, "cwnd %d" % tcpi_snd_cwnd }%
            """, "cwnd.pkt");

        var result = ScriptRunner.Run(script);

        Assert.False(result.Passed);
        Assert.Equal(9, result.Failure!.Line);
        Assert.Contains("AssertionError: cwnd 10", result.Failure.Message, StringComparison.Ordinal);
        Assert.Contains("tcpi_snd_cwnd=10", result.Failure.Actual, StringComparison.Ordinal);
    }

    [Fact]
    public void A_blocking_calls_end_time_counts_from_the_previous_event_as_its_start_does()
    {
        // accept at 0.010; the read starts at +.05 = 0.060 and must return at 0.010 + 0.100 = 0.110 (packetdrill),
        // not 0.060 + 0.100: the data the line after it injects arrives at 0.060 + 0.050.
        var script = ScriptParser.Parse(Handshake + """
            +.05...0.100 read(4, ..., 10) = 10
            +.05  < P. 1:11(10) ack 1 win 514
            +0    > . 1:1(0) ack 11
            """, "blocking-end.pkt");

        var result = ScriptRunner.Run(script);

        Assert.True(result.Passed, result.Failure?.ToString());
    }

    [Fact]
    public void A_wrong_packet_fails_at_its_line_with_expected_and_actual()
    {
        // Line 9 expects the (delayed) ACK of 1000 bytes to acknowledge 999: the stack acknowledges 1001.
        var script = ScriptParser.Parse(Handshake + """
            +0    < P. 1:1001(1000) ack 1 win 514
            +.04  > . 1:1(0) ack 999
            """, "wrong-ack.pkt");

        var result = ScriptRunner.Run(script);

        Assert.False(result.Passed);
        var failure = result.Failure!;
        Assert.Equal("wrong-ack.pkt", failure.File);
        Assert.Equal(9, failure.Line);
        Assert.Equal("> . 1:1(0) ack 999", failure.Expected);
        Assert.StartsWith("> . 1:1(0) ack 1001 win ", failure.Actual, StringComparison.Ordinal);
        Assert.Contains("expected ack 999, got ack 1001", failure.Message, StringComparison.Ordinal);
        Assert.StartsWith("wrong-ack.pkt:9: ", failure.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void A_wrong_system_call_result_fails_at_its_line()
    {
        // Line 9 expects 1000 bytes; 100 arrived.
        var script = ScriptParser.Parse(Handshake + """
            +0    < P. 1:101(100) ack 1 win 514
            +0    read(4, ..., 1000) = 1000
            """, "wrong-read.pkt");

        var result = ScriptRunner.Run(script);

        Assert.Equal(9, result.Failure?.Line);
        Assert.Equal("read(4, ..., 1000) = 1000", result.Failure!.Expected);
        Assert.Equal("read(4, ..., 1000) = 100", result.Failure.Actual);
    }

    [Fact]
    public void A_bare_minus_one_takes_any_errno_but_not_a_success()
    {
        // packetdrill checks the errno only where the script names one: read() on a socket with nothing to read
        // fails with EAGAIN, which "= -1" accepts; the close() that succeeds does not match "= -1".
        var script = ScriptParser.Parse(Handshake + """
            +0    fcntl(4, F_SETFL, O_RDWR|O_NONBLOCK) = 0
            +0    read(4, ..., 1000) = -1
            +0    close(4) = -1
            """, "bare-minus-one.pkt");

        var result = ScriptRunner.Run(script);

        Assert.Equal(10, result.Failure?.Line);
        Assert.Equal("close(4) = 0", result.Failure!.Actual);
    }

    [Fact]
    public void A_packet_at_the_wrong_time_fails_with_both_times()
    {
        // The SYN-ACK is retransmitted 1 s after the first, not 2 s.
        var script = ScriptParser.Parse("""
            0     socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
            +0    bind(3, ..., ...) = 0
            +0    listen(3, 1) = 0
            +0    < S 0:0(0) win 65535 <mss 1460>
            +0    > S. 0:0(0) ack 1 <mss 1460>
            +2    > S. 0:0(0) ack 1 <mss 1460>
            """, "late.pkt");

        var result = ScriptRunner.Run(script);

        Assert.Equal(6, result.Failure?.Line);
        Assert.Contains("expected at 2.000±0.004 s, got at 1.000 s", result.Failure!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_packet_that_does_not_match_the_next_outbound_line_fails()
    {
        var script = ScriptParser.Parse("""
            0     < S 0:0(0) win 65535
            +0    > S. 0:0(0) ack 1 <mss 1460>
            """, "stray.pkt");

        var result = ScriptRunner.Run(script);

        Assert.Equal(2, result.Failure?.Line);
        Assert.Contains("unexpected packet", result.Failure!.Message, StringComparison.Ordinal);
        Assert.StartsWith("> R. 0:0(0) ack 1", result.Failure.Actual, StringComparison.Ordinal);
    }

    [Fact]
    public void Packets_after_the_last_outbound_line_are_listed_not_checked_as_in_packetdrill()
    {
        var script = ScriptParser.Parse("""
            0     < S 0:0(0) win 65535
            """, "trailing.pkt");

        var result = ScriptRunner.Run(script);

        Assert.Null(result.Failure);
        Assert.Contains(result.Transcript, l => l.Contains("> R. 0:0(0) ack 1", StringComparison.Ordinal)
            && l.EndsWith("(after the script's last packet line: not checked)", StringComparison.Ordinal));
    }

    [Fact]
    public void A_blocking_call_that_does_not_return_in_time_fails_at_its_line()
    {
        // accept() is written to return at 0.1 s, but the handshake completes at 0.2 s.
        var script = ScriptParser.Parse("""
            0     socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
            +0    bind(3, ..., ...) = 0
            +0    listen(3, 1) = 0
            +0...0.1 accept(3, ..., ...) = 4
            +0    < S 0:0(0) win 65535 <mss 1460>
            +0    > S. 0:0(0) ack 1 <mss 1460>
            +.2   < . 1:1(0) ack 1 win 65535
            """, "slow-accept.pkt");

        var result = ScriptRunner.Run(script);

        Assert.Equal(4, result.Failure?.Line);
        Assert.Contains("expected to return at 0.100±0.004 s, still blocked", result.Failure!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_blocking_call_returns_when_the_stack_lets_it()
    {
        var script = ScriptParser.Parse("""
            0     socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
            +0    bind(3, ..., ...) = 0
            +0    listen(3, 1) = 0
            +0...0.2 accept(3, ..., ...) = 4
            +0    < S 0:0(0) win 65535 <mss 1460>
            +0    > S. 0:0(0) ack 1 <mss 1460>
            +.2   < . 1:1(0) ack 1 win 65535
            +0    poll([{fd=4, events=POLLIN, revents=0}], 1, 0) = 0
            +0...0.3 poll([{fd=4, events=POLLIN, revents=POLLIN}], 1, -1) = 1
            +.3   < P. 1:11(10) ack 1 win 65535
            +0~+0.2 > . 1:1(0) ack 11
            """, "blocking.pkt");

        var result = ScriptRunner.Run(script);

        Assert.True(result.Passed, result.ToString());
        Assert.Contains("0.200 accept(3, ..., ...) = 4", result.Transcript);
        Assert.Contains("0.500 poll([{fd=4, events=POLLIN, revents=POLLIN}], 1, -1) = 1", result.Transcript);
    }

    [Fact]
    public void A_sixty_second_time_wait_runs_on_the_virtual_clock_and_repeats_exactly()
    {
        string path = ScriptCorpus.PathOf("active-close.pkt");

        var first = ScriptRunner.RunFile(path);
        var second = ScriptRunner.RunFile(path);

        Assert.True(first.Passed, first.ToString());
        Assert.True(first.VirtualElapsed >= TimeSpan.FromSeconds(60), $"virtual time ran {first.VirtualElapsed}");
        Assert.Equal(first.Transcript, second.Transcript);
    }

    [Fact]
    public void The_command_exits_0_on_pass_1_on_failure_2_on_a_parse_error_and_3_for_the_other_family()
    {
        string dir = Path.Combine(Path.GetTempPath(), "stack-script-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            string good = Path.Combine(dir, "good.pkt"), bad = Path.Combine(dir, "bad.pkt"), broken = Path.Combine(dir, "broken.pkt");
            string pinned = Path.Combine(dir, "pinned.pkt");
            File.WriteAllText(good, "0 < S 0:0(0) win 65535\n+0 > R. 0:0(0) ack 1 win 0\n");
            File.WriteAllText(pinned, "--local_ip=192.0.2.7\n0 < S 0:0(0) win 65535\n+0 > R. 0:0(0) ack 1 win 0\n");
            File.WriteAllText(bad, "0 < S 0:0(0) win 65535\n+0 > R. 0:0(0) ack 2 win 0\n");
            File.WriteAllText(broken, "0 < Q 0:0(0) win 65535\n");

            var (code, stdout, _) = Run("script", good, "--ip-version", "6");
            Assert.Equal(0, code);
            Assert.Contains("passed", stdout, StringComparison.Ordinal);

            (code, stdout, _) = Run("script", bad, "--verbose");
            Assert.Equal(1, code);
            Assert.Contains("bad.pkt:2: ", stdout, StringComparison.Ordinal);
            Assert.Contains("expected: > R. 0:0(0) ack 2 win 0", stdout, StringComparison.Ordinal);
            Assert.Contains("actual:   > R. 0:0(0) ack 1 win 0", stdout, StringComparison.Ordinal);

            (code, _, string stderr) = Run("script", broken);
            Assert.Equal(2, code);
            Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));

            // A script that pins an IPv4 address runs in IPv4 only, as under packetdrill.
            (code, stdout, _) = Run("script", pinned, "--ip-version", "6");
            Assert.Equal(3, code);
            Assert.Contains("not run in ipv6: the script pins an IPv4 address (--local_ip=192.0.2.7)", stdout, StringComparison.Ordinal);
            (code, _, _) = Run("script", pinned, "--ip-version", "4");
            Assert.Equal(0, code);

            (code, _, stderr) = Run("script", good, "--ip-version", "5");
            Assert.Equal(2, code);
            Assert.StartsWith("stack: ", stderr, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static (int Code, string Out, string Err) Run(params string[] args) => CliRunner.Run(args);
}
