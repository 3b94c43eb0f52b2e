using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using Stack.IP;
using Stack.IP.Autoconf;
using Stack.IP.Routing;
using Stack.Link.Devices.Impairment;
using Stack.Link.Wire;
using Stack.Sockets.Hosting;
using Stack.Tcp;
using Stack.Tcp.Congestion;

namespace Stack.Apps.Commands;

/// <summary>
/// The options every command that brings up its own stack shares:
/// `--tap NAME --ip ADDR/PREFIX [--ip ...] [--gateway ADDR] [--mac MAC] [--mtu N] [--pcap FILE] [--tap-offload on|off]
/// [--cc cubic|bbr|newreno] [--autoconf on|off] [--log-level LEVEL]`. IPv6 autoconfiguration is on unless
/// `--autoconf off`; `--ip` may be left out when `--autoconf on` is given, for a stack that takes its addresses
/// from router advertisements alone.
/// </summary>
public sealed record StackArgs(string Tap, IpHostOptions Host, string? Pcap, LogLevel LogLevel, ImpairmentSpec? Impair = null,
    bool TapOffload = true, CongestionControlKind CongestionControl = CongestionControlKind.Cubic)
{
    /// <summary>`--dhcp`: lease an IPv4 address (with `--dhcp-probes N`, N RFC 5227 ARP probes first) instead of, or besides, `--ip`.</summary>
    public Stack.Sockets.Dhcp.DhcpClientOptions? Dhcp { get; init; }

    /// <summary>`--create-tap`: make the TAP for this run when there is none by that name (it goes when the stack exits).</summary>
    public bool CreateTap { get; init; }

    /// <summary>The TCP configuration the stack's sockets start from.</summary>
    public TcpConfig Tcp => TcpConfig.Default with { CongestionControl = CongestionControl };

    /// <summary>The stack these options ask for, on the TAP device they name, logging to <paramref name="logs"/>.</summary>
    public StackOptions ToOptions(ILoggerFactory logs) => new()
    {
        Link = StackLink.Tap(Tap, offload: TapOffload, create: CreateTap),
        Addresses = Host.Addresses,
        GatewayV4 = Host.GatewayV4,
        GatewayV6 = Host.GatewayV6,
        Autoconf = Host.Autoconf,
        Mac = Host.Mac,
        Mtu = Host.Mtu,
        PcapFile = Pcap,
        Impairment = Impair,
        Tcp = Tcp,
        Logs = logs,
        Dhcp = Dhcp,
    };

    /// <summary>
    /// Parses the shared options alone (what a command adds with <see cref="StackArgOptions"/>); a bad one throws
    /// <see cref="UsageException"/> with the message the command would print. For tests and programs that want
    /// a <see cref="StackArgs"/> from words.
    /// </summary>
    public static StackArgs Parse(IReadOnlyList<string> args, LogLevel defaultLevel = LogLevel.Information, bool allowDhcp = false)
    {
        var options = new StackArgOptions(defaultLevel, allowDhcp);
        var command = new System.CommandLine.RootCommand();
        options.AddTo(command);
        var result = command.Parse(args, Cli.ParserSettings);
        if (CliErrors.Describe(result) is { } error) throw new UsageException(error);
        return options.Read(result);
    }

    public static LogLevel? ParseLevel(string? text) => text?.ToLowerInvariant() switch
    {
        null => null,
        "trace" => LogLevel.Trace,
        "debug" => LogLevel.Debug,
        "info" or "information" => LogLevel.Information,
        "warn" or "warning" => LogLevel.Warning,
        "error" => LogLevel.Error,
        "critical" => LogLevel.Critical,
        "none" => LogLevel.None,
        _ => throw new UsageException($"--log-level wants trace, debug, info, warning, error, critical or none, not '{text}'"),
    };

    /// <summary>The name <see cref="ParseLevel"/> reads back for <paramref name="level"/>.</summary>
    public static string LevelName(LogLevel level) => level switch
    {
        LogLevel.Information => "info",
        LogLevel.Warning => "warning",
        _ => level.ToString().ToLowerInvariant(),
    };

    /// <summary>Logs go to stderr, so a command's stdout carries only its output (a date, echoed lines).</summary>
    public static ILoggerFactory CreateLogs(LogLevel level) => LoggerFactory.Create(b =>
    {
        b.SetMinimumLevel(level);
        b.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "HH:mm:ss.fff ";
        });
        b.Services.Configure<ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
    });
}
