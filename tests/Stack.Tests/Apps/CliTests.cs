using Stack.Apps;

namespace Stack.Tests.Apps;

/// <summary>The `stack` command's contract: bad arguments give one line on stderr and exit code 2.</summary>
public sealed class CliTests
{
    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = Cli.Run(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    [Theory]
    [InlineData("frobnicate")]
    [InlineData("serve")]
    [InlineData("serve", "--tap", "tap0")]
    [InlineData("serve", "--tap", "tap0", "--ip", "192.0.2.2/33")]
    [InlineData("serve", "--tap", "tap0", "--ip", "not-an-address")]
    [InlineData("serve", "--tap", "tap0", "--ip", "192.0.2.2/24", "--mtu", "70000")]
    [InlineData("serve", "--tap", "tap0", "--ip", "192.0.2.2/24", "--mac", "01:00:5e:00:00:01")]
    [InlineData("serve", "--tap", "tap0", "--ip", "192.0.2.2/24", "--log-level", "loud")]
    [InlineData("serve", "--tap", "tap0", "--ip", "192.0.2.2/24", "--bogus")]
    [InlineData("serve", "--tap")]
    [InlineData("serve", "--tap", "tap0", "--ip", "192.0.2.2/24", "--impair", "loss=200%")]
    [InlineData("serve", "--tap", "tap0", "--ip", "192.0.2.2/24", "--tap-offload", "maybe")]
    [InlineData("demo", "--count", "0")]
    public void Bad_arguments_print_one_line_and_exit_2(params string[] args)
    {
        var (code, stdout, stderr) = Run(args);
        Assert.Equal(2, code);
        Assert.Equal("", stdout);
        var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        Assert.StartsWith("stack: ", lines[0], StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null, true)]
    [InlineData("on", true)]
    [InlineData("off", false)]
    public void Tap_offload_is_on_unless_turned_off(string? value, bool expected)
    {
        string[] args = ["--tap", "tap0", "--ip", "192.0.2.2/24", .. value is null ? [] : new[] { "--tap-offload", value }];
        Assert.Equal(expected, Stack.Apps.Commands.StackArgs.Parse(args).TapOffload);
    }

    [Fact]
    public void No_arguments_print_usage_and_exit_2_and_help_exits_0()
    {
        Assert.Equal(2, Run().Code);
        var (code, stdout, _) = Run("--help");
        Assert.Equal(0, code);
        Assert.Contains("stack serve --tap NAME --ip ADDR/PREFIX", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void A_TAP_that_cannot_be_opened_is_one_line_and_exit_1()
    {
        // "bad/name" can never name an interface, so making it fails whatever the machine (root or not, TUN or not).
        var (code, _, stderr) = Run("serve", "--tap", "bad/name", "--create-tap", "--ip", "192.0.2.2/24", "--log-level", "none");
        Assert.Equal(1, code);
        Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("stack: ", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void A_TAP_that_is_not_there_is_named_with_how_to_make_one_and_exit_2()
    {
        // Only looked up (if_nametoindex), never made: nothing is added to the namespace the test runs in.
        var (code, _, stderr) = Run("serve", "--tap", "stknosuch0", "--ip", "192.0.2.2/24", "--log-level", "none");
        Assert.Equal(2, code);
        Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("no network device 'stknosuch0'", stderr, StringComparison.Ordinal);
        Assert.Contains("scripts/tap-setup up", stderr, StringComparison.Ordinal);
        Assert.Contains("--create-tap", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Demo_pings_between_two_in_memory_stacks_in_both_families()
    {
        var (code, stdout, _) = Run("demo", "--count", "2");
        Assert.Equal(0, code);
        Assert.Contains("icmp_seq=2", stdout, StringComparison.Ordinal);
        Assert.Contains("from 2001:db8::3", stdout, StringComparison.Ordinal);
        Assert.Contains("demo: all replies received", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Demo_shows_daytime_and_echo_over_TCP_with_both_ends_state_transitions()
    {
        var (code, stdout, _) = Run("demo", "--count", "1");
        Assert.Equal(0, code);
        Assert.Contains("a: daytime [2001:db8::3]:13 over TCP", stdout, StringComparison.Ordinal);
        Assert.Contains("a: SYN_SENT -> ESTABLISHED", stdout, StringComparison.Ordinal);
        Assert.Contains("b: LISTEN -> SYN_RCVD", stdout, StringComparison.Ordinal);
        Assert.Contains("b: FIN_WAIT_2 -> TIME_WAIT", stdout, StringComparison.Ordinal); // daytime: the server closes first
        Assert.Contains("a: FIN_WAIT_2 -> TIME_WAIT", stdout, StringComparison.Ordinal); // echo: the client half-closes first
        Assert.Matches(@"\[2001:db8::3\]:7: hello over TCP from port \d+", stdout);
    }
}
