using System.CommandLine;
using System.CommandLine.Help;
using System.Reflection;
using Stack.Apps;
using Stack.Apps.Commands;

using Stack.Tests.Support;

namespace Stack.Tests.Apps;

/// <summary>The `stack` command's contract: bad arguments give one line on stderr and exit code 2.</summary>
public sealed class CliTests
{
    private static (int Code, string Out, string Err) Run(params string[] args) => CliRunner.Run(args);

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
        Assert.Equal(expected, StackArgs.Parse(args).TapOffload);
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

    /// <summary>The commands as Cli builds them, so the help tests follow whatever options a command declares.</summary>
    public static TheoryData<string> Commands() =>
        [.. Cli.CreateRoot(new CliContext(TextReader.Null, TextWriter.Null, TextWriter.Null)).Subcommands.Select(c => c.Name)];

    [Theory]
    [MemberData(nameof(Commands))]
    public void Every_command_has_help_listing_each_of_its_options_with_a_description(string name)
    {
        var command = Cli.CreateRoot(new CliContext(TextReader.Null, TextWriter.Null, TextWriter.Null)).Subcommands.Single(c => c.Name == name);
        var (code, stdout, stderr) = Run(name, "--help");
        Assert.Equal(0, code);
        Assert.Equal("", stderr);
        var options = command.Options.Where(o => o is not HelpOption).ToList();
        Assert.NotEmpty(options);
        foreach (var option in options)
        {
            Assert.False(string.IsNullOrWhiteSpace(option.Description), $"{name} {option.Name} has no description");
            // The option's line in the help: its name, and the start of its description after it.
            var pattern = new System.Text.RegularExpressions.Regex($@"^  (\S+, )*{System.Text.RegularExpressions.Regex.Escape(option.Name)}( |$)");
            var line = stdout.Split('\n').FirstOrDefault(l => pattern.IsMatch(l));
            Assert.True(line is not null, $"stack {name} --help does not list {option.Name}:\n{stdout}");
            Assert.Contains(option.Description!.Split(' ')[0], line, StringComparison.Ordinal);
        }
        foreach (var argument in command.Arguments) Assert.Contains($"<{argument.Name}>", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Stack_help_gives_every_commands_synopsis()
    {
        var root = Cli.CreateRoot(new CliContext(TextReader.Null, TextWriter.Null, TextWriter.Null));
        var (code, stdout, _) = Run("--help");
        Assert.Equal(0, code);
        foreach (var command in root.Subcommands) Assert.Contains($"  stack {command.Name} ", stdout + " ", StringComparison.Ordinal);
        Assert.Contains("stack daytime HOST [--port N] [--udp]", stdout, StringComparison.Ordinal);
        Assert.Contains("--ip ADDR/PREFIX [--ip ADDR/PREFIX ...]", stdout, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("serve --tap tap0 --ip 192.0.2.2/24 --bogus", "unknown option '--bogus' for stack serve")]
    [InlineData("demo --frobnicate", "unknown option '--frobnicate' for stack demo")]
    [InlineData("script --verbos a.pkt", "unknown option '--verbos' for stack script")]
    [InlineData("--bogus", "unknown option '--bogus'")]
    [InlineData("frobnicate", "unknown command 'frobnicate'")]
    public void An_unknown_option_or_command_is_named_in_one_line_and_exit_2(string args, string message)
    {
        var (code, stdout, stderr) = Run(args.Split(' '));
        Assert.Equal(2, code);
        Assert.Equal("", stdout);
        Assert.StartsWith("stack: " + message, Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries)), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("serve --tap tap0 --ip 192.0.2.2/24 --queues 0", "--queues must be a number from 1 to 64")]
    [InlineData("serve --tap tap0 --dhcp --queues 65", "--queues must be a number from 1 to 64")]
    public void A_queue_count_out_of_range_is_a_usage_error_before_anything_starts(string args, string message)
    {
        var (code, _, stderr) = Run(args.Split(' '));
        Assert.Equal(2, code);
        Assert.StartsWith("stack: " + message, Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries)), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("daytime 192.0.2.1 --prot 13 --tap tap0 --ip 192.0.2.3/24", "did you mean --port?")]
    [InlineData("script --verbos a.pkt", "did you mean --verbose?")]
    [InlineData("serve --tap tap0 --ip 192.0.2.2/24 --servcies echo", "did you mean --services?")]
    [InlineData("serve --tap tap0 --ip 192.0.2.2/24 --mt 1400", "did you mean --mtu?")]
    [InlineData("serv --tap tap0", "did you mean serve?")]
    [InlineData("resolv www.example", "did you mean resolve?")]
    public void A_typo_gets_a_suggestion(string args, string suggestion)
    {
        var (code, _, stderr) = Run(args.Split(' '));
        Assert.Equal(2, code);
        Assert.EndsWith($"({suggestion})", Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries)).TrimEnd(), StringComparison.Ordinal);
    }

    [Fact]
    public void Nothing_close_gets_no_suggestion()
    {
        var (code, _, stderr) = Run("demo", "--xyzzy");
        Assert.Equal(2, code);
        Assert.DoesNotContain("did you mean", stderr, StringComparison.Ordinal);
        Assert.Contains("stack demo --help", stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("serve --tap tap0 --ip 192.0.2.2/24 --mtu 70000", "--mtu must be a number from 1280 to 9000, not '70000'")]
    [InlineData("serve --tap tap0 --ip 192.0.2.2/24 --tap-offload maybe", "--tap-offload wants on or off, not 'maybe'")]
    [InlineData("serve --tap tap0 --ip 192.0.2.2/24 --autoconf yes", "--autoconf wants on or off, not 'yes'")]
    [InlineData("serve --tap tap0 --ip 192.0.2.2/24 --cc vegas", "--cc wants cubic, bbr or newreno, not 'vegas'")]
    [InlineData("serve --tap tap0 --ip 192.0.2.2/24 --busy-poll 2000000", "--busy-poll must be a number from 0 to 1000000, not '2000000'")]
    [InlineData("serve --tap tap0 --ip 192.0.2.2/24 --max-tw-buckets 3000000000", "--max-tw-buckets must be a number from 0 to 2147483647, not '3000000000'")]
    [InlineData("serve --tap tap0 --ip 192.0.2.2/24 --mac 01:00:5e:00:00:01", "--mac wants a unicast address")]
    [InlineData("serve --tap tap0 --ip 192.0.2.2/24 --log-level loud", "--log-level wants trace, debug")]
    [InlineData("serve --tap tap0 --ip 192.0.2.2/24 --impair loss=200%", "--impair: ")]
    [InlineData("serve --tap tap0 --ip 192.0.2.2/24 --gateway nowhere", "--gateway wants an address, not 'nowhere'")]
    [InlineData("serve --tap tap0 --ip 192.0.2.2/24 --dhcp-probes 2", "--dhcp-probes goes with --dhcp")]
    [InlineData("serve --tap tap0 --ip 192.0.2.2/24 --dhcp --dhcp-probes 11", "--dhcp-probes must be a number from 0 to 10, not '11'")]
    [InlineData("demo --count 101", "--count must be a number from 1 to 100, not '101'")]
    [InlineData("demo --count", "--count needs a value")]
    [InlineData("demo --count 2 --count 3", "--count given more than once")]
    [InlineData("web-kernel --port 0", "--port must be a number from 1 to 65535, not '0'")]
    [InlineData("script a.pkt --ip-version 5", "--ip-version must be 4 or 6, not '5'")]
    [InlineData("serve --ip 192.0.2.2/24", "--tap is required")]
    [InlineData("serve --tap --ip 192.0.2.2/24", "--tap needs a value")]
    [InlineData("daytime 192.0.2.1 --tap tap0 --ip", "--ip needs a value")]
    [InlineData("resolve www.example --server 192.0.2.1 --attempts 11 --tap tap0 --ip 192.0.2.2/24", "--attempts must be a number from 1 to 10, not '11'")]
    public void A_bad_value_names_the_option(string args, string message)
    {
        var (code, stdout, stderr) = Run(args.Split(' '));
        Assert.Equal(2, code);
        Assert.Equal("", stdout);
        var line = Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("stack: ", line, StringComparison.Ordinal);
        Assert.Contains(message, line, StringComparison.Ordinal);
    }

    [Fact]
    public void Options_come_through_typed()
    {
        var args = StackArgs.Parse(["--tap", "tap1", "--ip", "192.0.2.2/24", "--ip", "2001:db8::2/64", "--gateway", "192.0.2.1",
            "--gateway", "2001:db8::1", "--mac", "02:00:00:00:00:07", "--mtu", "1400", "--cc", "bbr", "--log-level", "debug", "--create-tap"]);
        Assert.Equal("tap1", args.Tap);
        Assert.Equal(["192.0.2.2/24", "2001:db8::2/64"], args.Host.Addresses.Select(a => a.ToString()));
        Assert.Equal("192.0.2.1", args.Host.GatewayV4?.ToString());
        Assert.Equal("2001:db8::1", args.Host.GatewayV6?.ToString());
        Assert.Equal("02:00:00:00:00:07", args.Host.Mac.ToString());
        Assert.Equal(1400, args.Host.Mtu);
        Assert.Equal(Stack.Tcp.Congestion.CongestionControlKind.Bbr, args.CongestionControl);
        Assert.Equal(Microsoft.Extensions.Logging.LogLevel.Debug, args.LogLevel);
        Assert.True(args.CreateTap);
        Assert.Null(args.Dhcp);
    }

    [Fact]
    public void Version_prints_the_assemblys_version()
    {
        var (code, stdout, stderr) = Run("--version");
        Assert.Equal(0, code);
        Assert.Equal("", stderr);
        var expected = typeof(Cli).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()!.InformationalVersion;
        Assert.Equal(expected, stdout.Trim());
        Assert.StartsWith(typeof(Cli).Assembly.GetName().Version!.ToString(3), expected, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("serve --cc ", "bbr,cubic,newreno")]
    [InlineData("serve --tap-offload ", "off,on")]
    [InlineData("resolv", "resolve")]
    public void Shell_completion_offers_what_an_option_reads(string line, string expected)
    {
        // The [suggest:POSITION] directive is what dotnet-suggest calls with the line being typed.
        var (code, stdout, _) = Run($"[suggest:{line.Length}]", line);
        Assert.Equal(0, code);
        Assert.Equal(expected, string.Join(',', stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)));
    }
}
