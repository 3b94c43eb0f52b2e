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
    public const string Usage =
        "--tap NAME --ip ADDR/PREFIX [--ip ADDR/PREFIX ...] [--gateway ADDR] [--mac MAC] [--mtu N] [--pcap FILE] [--impair SPEC] [--create-tap] [--tap-offload on|off] [--cc cubic|bbr|newreno] [--autoconf on|off] [--log-level LEVEL]";

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

    /// <summary>Reads the shared options; <paramref name="allowDhcp"/> lets `--dhcp` stand in for `--ip` (stack serve).</summary>
    public static StackArgs Read(ArgReader args, LogLevel defaultLevel = LogLevel.Information, bool allowDhcp = false)
    {
        var tap = args.Required("--tap");
        var dhcp = allowDhcp ? ReadDhcp(args) : null;
        var addresses = new List<InterfaceAddress>();
        foreach (var text in args.All("--ip"))
        {
            if (!InterfaceAddress.TryParse(text, out var a) || a.Address.IsUnspecified || a.Address.IsMulticast)
                throw new UsageException($"--ip wants ADDR/PREFIX such as 192.0.2.2/24 or 2001:db8::2/64, not '{text}'");
            addresses.Add(a);
        }
        var autoconfText = args.Optional("--autoconf");
        var autoconf = autoconfText switch
        {
            null or "on" => new AutoconfOptions(),
            "off" => null,
            var other => throw new UsageException($"--autoconf wants on or off, not '{other}'"),
        };
        if (addresses.Count == 0 && dhcp is null && autoconfText != "on")
            throw new UsageException(allowDhcp
                ? "--ip (ADDR/PREFIX, repeatable) or --dhcp is required, or --autoconf on for IPv6 from router advertisements alone"
                : "--ip is required (ADDR/PREFIX, repeatable), or --autoconf on for IPv6 from router advertisements alone");
        Ipv4Address? gw4 = null;
        Ipv6Address? gw6 = null;
        foreach (var text in args.All("--gateway"))
        {
            if (!IpAddress.TryParse(text, out var g)) throw new UsageException($"--gateway wants an address, not '{text}'");
            if (g.IsIpv6) gw6 = g.V6;
            else gw4 = g.V4;
        }
        var mac = MacAddress.RandomLocal(Random.Shared);
        if (args.Optional("--mac") is { } macText && (!MacAddress.TryParse(macText, out mac) || mac.IsMulticast || mac == MacAddress.Zero))
            throw new UsageException($"--mac wants a unicast address such as 02:00:00:00:00:02, not '{macText}'");
        int mtu = args.OptionalInt("--mtu", 1280, 9000) ?? 1500;
        var pcap = args.Optional("--pcap");
        ImpairmentSpec? impair = null;
        if (args.Optional("--impair") is { } impairText)
        {
            try
            {
                impair = ImpairmentSpec.Parse(impairText);
            }
            catch (FormatException e)
            {
                throw new UsageException($"--impair: {e.Message}");
            }
        }
        bool offload = args.Optional("--tap-offload") switch
        {
            null or "on" => true,
            "off" => false,
            var other => throw new UsageException($"--tap-offload wants on or off, not '{other}'"),
        };
        var cc = args.Optional("--cc") switch
        {
            null or "cubic" => CongestionControlKind.Cubic,
            "bbr" => CongestionControlKind.Bbr,
            "newreno" or "reno" => CongestionControlKind.NewReno,
            var other => throw new UsageException($"--cc wants cubic, bbr or newreno, not '{other}'"),
        };
        var level = ParseLevel(args.Optional("--log-level")) ?? defaultLevel;
        var host = new IpHostOptions { Mac = mac, Mtu = mtu, Addresses = addresses, GatewayV4 = gw4, GatewayV6 = gw6, Autoconf = autoconf };
        return new StackArgs(tap, host, pcap, level, impair, offload, cc) { Dhcp = dhcp, CreateTap = args.Flag("--create-tap") };
    }

    private static Stack.Sockets.Dhcp.DhcpClientOptions? ReadDhcp(ArgReader args)
    {
        bool on = args.Flag("--dhcp");
        int? probes = args.OptionalInt("--dhcp-probes", 0, 10);
        if (probes is not null && !on) throw new UsageException("--dhcp-probes goes with --dhcp");
        if (!on) return null;
        var options = new Stack.Sockets.Dhcp.DhcpClientOptions();
        return probes is { } n ? options with { ProbeCount = n } : options;
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
