using System.CommandLine;
using Stack.IP;
using Stack.IP.Autoconf;
using Stack.IP.Routing;
using Stack.Link.Devices.Impairment;
using Stack.Link.Wire;
using Stack.Sockets.Dhcp;
using Stack.Tcp.Congestion;

namespace Stack.Apps.Commands;

/// <summary>
/// The options behind <see cref="StackArgs"/> as System.CommandLine symbols: a command that brings up its own stack
/// adds them (<see cref="AddTo"/>) and builds its <see cref="StackArgs"/> from the parse result (<see cref="Read"/>).
/// Each value is checked as it is parsed; what spans options (an address from somewhere) is checked in Read.
/// </summary>
public sealed class StackArgOptions
{
    private readonly Microsoft.Extensions.Logging.LogLevel _defaultLevel;
    private readonly bool _allowDhcp;

    /// <param name="defaultLevel">The log level without --log-level.</param>
    /// <param name="allowDhcp">Offer `--dhcp [--dhcp-probes N]` to stand in for `--ip` (stack serve).</param>
    public StackArgOptions(Microsoft.Extensions.Logging.LogLevel defaultLevel = Microsoft.Extensions.Logging.LogLevel.Information, bool allowDhcp = false)
    {
        _defaultLevel = defaultLevel;
        _allowDhcp = allowDhcp;
        LogLevel = CliOptions.LogLevel(defaultLevel);
        Synopsis.ShowAsRequired(Ip);
    }

    public Option<string> Tap { get; } = new("--tap")
    {
        HelpName = "NAME",
        Description = "the TAP device to run on; it must exist (scripts/tap-setup up), unless --create-tap",
        Required = true,
        Arity = ArgumentArity.ExactlyOne,
    };

    public Option<InterfaceAddress[]> Ip { get; } = CliOptions.Repeated("--ip", "ADDR/PREFIX",
        "an address of the stack with its prefix length, such as 192.0.2.2/24 or 2001:db8::2/64; repeatable; required unless --dhcp or --autoconf on",
        text => InterfaceAddress.TryParse(text, out var a) && !a.Address.IsUnspecified && !a.Address.IsMulticast
            ? a
            : throw new UsageException($"--ip wants ADDR/PREFIX such as 192.0.2.2/24 or 2001:db8::2/64, not '{text}'"));

    public Option<bool> Dhcp { get; } = CliOptions.Flag("--dhcp", "lease an IPv4 address by DHCP, instead of or besides --ip");

    public Option<int?> DhcpProbes { get; } = CliOptions.Int("--dhcp-probes", 0, 10,
        "with --dhcp: RFC 5227 ARP probes for the offered address before taking it");

    public Option<IpAddress[]> Gateway { get; } = CliOptions.Repeated("--gateway", "ADDR",
        "the default gateway, IPv4 or IPv6 (one of each at most: a later one replaces an earlier one of its family)",
        text => IpAddress.TryParse(text, out var g) ? g : throw new UsageException($"--gateway wants an address, not '{text}'"));

    public Option<MacAddress?> Mac { get; } = CliOptions.Value<MacAddress?>("--mac", "MAC",
        "the stack's Ethernet address (default: a random locally administered one)",
        text => MacAddress.TryParse(text, out var mac) && !mac.IsMulticast && mac != MacAddress.Zero
            ? mac
            : throw new UsageException($"--mac wants a unicast address such as 02:00:00:00:00:02, not '{text}'"));

    public Option<int?> Mtu { get; } = CliOptions.Int("--mtu", 1280, 9000, "the link MTU (default 1500)");

    public Option<string> Pcap { get; } = new("--pcap")
    {
        HelpName = "FILE",
        Description = "record every frame in and out to FILE in libpcap format",
        Arity = ArgumentArity.ExactlyOne,
    };

    public Option<ImpairmentSpec?> Impair { get; } = CliOptions.Value<ImpairmentSpec?>("--impair", "SPEC",
        "seeded faults between the stack and its TAP, both ways: loss=5%,dup=1%,reorder=2%,corrupt=0.1%,delay=10ms,jitter=2ms,rate=100mbit,seed=7",
        text =>
        {
            try
            {
                return ImpairmentSpec.Parse(text);
            }
            catch (FormatException e)
            {
                throw new UsageException($"--impair: {e.Message}");
            }
        });

    public Option<bool> CreateTap { get; } = CliOptions.Flag("--create-tap",
        "make the TAP when there is none by that name (root or CAP_NET_ADMIN), brought up, and removed again on exit");

    internal Option<Switch?> TapOffload { get; } = CliOptions.OnOff("--tap-offload",
        "the virtio header and checksum/TSO offloads on the TAP (default on: the kernel may hand over 64 KiB GSO frames)");

    public Option<CongestionControlKind?> CongestionControl { get; } = CliOptions.Value<CongestionControlKind?>("--cc", "cubic|bbr|newreno",
        "the congestion control of the stack's TCP connections (default cubic, as Linux's)",
        text => text switch
        {
            "cubic" => CongestionControlKind.Cubic,
            "bbr" => CongestionControlKind.Bbr,
            "newreno" or "reno" => CongestionControlKind.NewReno,
            _ => throw new UsageException($"--cc wants cubic, bbr or newreno, not '{text}'"),
        }, "cubic", "bbr", "newreno");

    internal Option<Switch?> Autoconf { get; } = CliOptions.OnOff("--autoconf",
        "IPv6 autoconfiguration from router advertisements (default on, as Linux's accept_ra); `on` with no --ip runs on it alone");

    public Option<Microsoft.Extensions.Logging.LogLevel?> LogLevel { get; }

    /// <summary>The options in the order help lists them.</summary>
    public IEnumerable<Option> All()
    {
        yield return Tap;
        yield return Ip;
        if (_allowDhcp)
        {
            yield return Dhcp;
            yield return DhcpProbes;
        }
        yield return Gateway;
        yield return Mac;
        yield return Mtu;
        yield return Pcap;
        yield return Impair;
        yield return CreateTap;
        yield return TapOffload;
        yield return CongestionControl;
        yield return Autoconf;
        yield return LogLevel;
    }

    public void AddTo(Command command)
    {
        ArgumentNullException.ThrowIfNull(command);
        foreach (var option in All()) command.Add(option);
    }

    /// <summary>The <see cref="StackArgs"/> of a parse without errors; what spans options throws <see cref="UsageException"/>.</summary>
    public StackArgs Read(ParseResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var tap = result.GetRequiredValue(Tap);
        var dhcp = _allowDhcp ? ReadDhcp(result) : null;
        var addresses = result.GetValue(Ip) ?? [];
        var autoconfAsked = result.GetValue(Autoconf);
        if (addresses.Length == 0 && dhcp is null && autoconfAsked != Switch.On)
            throw new UsageException(_allowDhcp
                ? "--ip (ADDR/PREFIX, repeatable) or --dhcp is required, or --autoconf on for IPv6 from router advertisements alone"
                : "--ip is required (ADDR/PREFIX, repeatable), or --autoconf on for IPv6 from router advertisements alone");
        Ipv4Address? gw4 = null;
        Ipv6Address? gw6 = null;
        foreach (var g in result.GetValue(Gateway) ?? [])
        {
            if (g.IsIpv6) gw6 = g.V6;
            else gw4 = g.V4;
        }
        var host = new IpHostOptions
        {
            Mac = result.GetValue(Mac) ?? MacAddress.RandomLocal(Random.Shared),
            Mtu = result.GetValue(Mtu) ?? 1500,
            Addresses = [.. addresses],
            GatewayV4 = gw4,
            GatewayV6 = gw6,
            Autoconf = autoconfAsked == Switch.Off ? null : new AutoconfOptions(),
        };
        return new StackArgs(tap, host, result.GetValue(Pcap), result.GetValue(LogLevel) ?? _defaultLevel, result.GetValue(Impair),
            result.GetValue(TapOffload) != Switch.Off, result.GetValue(CongestionControl) ?? CongestionControlKind.Cubic)
        {
            Dhcp = dhcp,
            CreateTap = result.GetValue(CreateTap),
        };
    }

    private DhcpClientOptions? ReadDhcp(ParseResult result)
    {
        bool on = result.GetValue(Dhcp);
        int? probes = result.GetValue(DhcpProbes);
        if (probes is not null && !on) throw new UsageException("--dhcp-probes goes with --dhcp");
        if (!on) return null;
        var options = new DhcpClientOptions();
        return probes is { } n ? options with { ProbeCount = n } : options;
    }
}
