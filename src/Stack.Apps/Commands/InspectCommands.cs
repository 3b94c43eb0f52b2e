using System.CommandLine;
using Stack.Apps.Inspect;
using Stack.Apps.Plots;

namespace Stack.Apps.Commands;

/// <summary>
/// The commands that look at a stack rather than run one: `stack ss` and `stack nstat` (a running stack, through its
/// control socket; docs/control.md) and `stack plot` (a capture; docs/plots.md).
/// </summary>
public static class InspectCommands
{
    public static Command Ss(CliContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var tcp = Short("-t", "--tcp", "TCP sockets");
        var udp = Short("-u", "--udp", "UDP sockets");
        var listening = Short("-l", "--listening", "listening sockets (and unconnected UDP) only");
        var all = Short("-a", "--all", "listening and non-listening sockets, TIME-WAIT included");
        var info = Short("-i", "--info", "internal TCP information (rtt, cwnd, bytes, retransmissions...)");
        var options = Short("-o", "--options", "timer information");
        var numeric = Short("-n", "--numeric", "port numbers, not service names");
        var noHeader = Short("-H", "--no-header", "no header line");
        var ipv4 = Short("-4", "--ipv4", "IPv4 sockets only");
        var ipv6 = Short("-6", "--ipv6", "IPv6 sockets only");
        var (name, control) = Target();
        var filter = new Argument<string[]>("FILTER")
        {
            Description = "ss's filter: [state NAME | exclude NAME]... [EXPRESSION], e.g. state established dport = :7",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var command = new Command("ss", "Show a running stack's sockets as ss(8) shows the kernel's.")
        {
            tcp, udp, listening, all, info, options, numeric, noHeader, ipv4, ipv6, name, control, filter,
        };
        command.SetAction(r => SsCommand.Run(new SsOptions
        {
            Tcp = r.GetValue(tcp),
            Udp = r.GetValue(udp),
            Listening = r.GetValue(listening),
            All = r.GetValue(all),
            Info = r.GetValue(info),
            Options = r.GetValue(options),
            Numeric = r.GetValue(numeric),
            NoHeader = r.GetValue(noHeader),
            Ipv4 = r.GetValue(ipv4),
            Ipv6 = r.GetValue(ipv6),
            Name = r.GetValue(name),
            Control = r.GetValue(control),
            Filter = r.GetValue(filter) ?? [],
        }, context.Stdout, context.Stderr));
        return command;
    }

    public static Command Nstat(CliContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var zeros = Short("-z", "--zeros", "show counters that did not move too");
        var absolute = Short("-a", "--absolute", "absolute values, not increments since the last call");
        var reset = Short("-r", "--reset", "forget the history first (show totals)");
        var noUpdate = Short("-s", "--no-update", "do not update the history");
        var json = CliOptions.Flag("--json", "print JSON: {\"stack\":{\"Name\":value,...}}");
        var (name, control) = Target();
        var patterns = new Argument<string[]>("PATTERN")
        {
            Description = "counter names to show, with * and ? (e.g. 'TcpExt*')",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var command = new Command("nstat", "Show a running stack's counters by nstat(8)'s names, as increments since the last call.")
        {
            zeros, absolute, reset, noUpdate, json, name, control, patterns,
        };
        command.SetAction(r => NstatCommand.Run(new NstatOptions
        {
            Zeros = r.GetValue(zeros),
            Absolute = r.GetValue(absolute),
            Reset = r.GetValue(reset),
            NoUpdate = r.GetValue(noUpdate),
            Json = r.GetValue(json),
            Name = r.GetValue(name),
            Control = r.GetValue(control),
            Patterns = r.GetValue(patterns) ?? [],
        }, context.Stdout, context.Stderr));
        return command;
    }

    public static Command Plot(CliContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var file = new Argument<string?>("FILE.pcap")
        {
            Description = "a pcap or pcapng capture",
            Arity = ArgumentArity.ZeroOrOne,
        };
        Synopsis.ShowAsRequired(file);
        var conn = new Option<string>("--conn")
        {
            HelpName = "FILTER",
            Description = "the connection and direction: END (192.0.2.1:5001, :7, [2001:db8::2]:7) or SENDER-RECEIVER; default the one carrying the most data",
            Arity = ArgumentArity.ExactlyOne,
        };
        var output = new Option<string>("--output", "-o")
        {
            HelpName = "FILE.svg",
            Description = "where to write the SVG (required)",
            Arity = ArgumentArity.ExactlyOne,
        };
        var command = new Command("plot", "Draw a TCP connection's time-sequence graph (like tcptrace's) from a capture, as SVG.") { file, conn, output };
        command.SetAction(r => PlotCommand.Run(new PlotOptions(
            r.GetValue(file) ?? throw new UsageException("plot needs a FILE.pcap"),
            r.GetValue(conn),
            r.GetValue(output) ?? throw new UsageException("-o FILE.svg is required")), context.Stdout, context.Stderr));
        return command;
    }

    /// <summary>`--name NAME` and `--control PATH`: which running stack to ask.</summary>
    private static (Option<string> Name, Option<string> Control) Target() => (
        new Option<string>("--name")
        {
            HelpName = "NAME",
            Description = "the stack to ask (stack serve --name, default its TAP's name); needed only when several run",
            Arity = ArgumentArity.ExactlyOne,
        },
        new Option<string>("--control")
        {
            HelpName = "PATH",
            Description = "the stack's control socket, where it is not in the usual place",
            Arity = ArgumentArity.ExactlyOne,
        });

    private static Option<bool> Short(string alias, string name, string description)
    {
        var option = CliOptions.Flag(name, description);
        option.Aliases.Add(alias);
        return option;
    }
}
