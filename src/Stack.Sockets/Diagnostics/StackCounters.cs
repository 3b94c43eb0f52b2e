using Stack.IP;
using Stack.Sockets.Hosting;
using Stack.Tcp;
using Stack.Udp;

namespace Stack.Sockets.Diagnostics;

/// <summary>One counter of a stack: its name as <c>nstat</c> prints it, its value, and whether it is a gauge (a level that goes up and down) rather than a count since start.</summary>
public readonly record struct StackCounter(string Name, long Value, bool IsGauge = false);

/// <summary>
/// Every counter of a stack under one flat list of names, the catalog behind <c>stack nstat</c>. A counter Linux
/// keeps carries Linux's name as <c>nstat</c> prints it (the /proc/net/snmp, snmp6 and netstat MIBs: IpInReceives,
/// Icmp6InEchos, TcpRetransSegs, TcpExtTCPSACKRecovery…) and means what Linux's means; what the stack counts that
/// Linux does not, or counts differently, is named Stack… (StackTcpOutOfWindow, StackRejectIpv4BadChecksum…).
/// docs/metrics.md lists them.
/// </summary>
/// <remarks>
/// Call <see cref="Read(StackInstance)"/> on the stack's event loop (<c>stack.Loop.InvokeAsync(_ => StackCounters.Read(stack))</c>):
/// the counters are plain fields the loop writes, and a read on the loop sees them all at one instant. Names are
/// stable and always present (zeros included), but for Linux's per-type IcmpMsg/Icmp6 counters, which appear
/// once a message of the type has been seen, as Linux prints them.
/// </remarks>
public static partial class StackCounters
{
    /// <summary>Every counter of <paramref name="stack"/>, in nstat's order (IP, ICMP, TCP, UDP, IPv6, ICMPv6, TcpExt, IpExt), then the stack's own.</summary>
    public static IReadOnlyList<StackCounter> Read(StackInstance stack)
    {
        ArgumentNullException.ThrowIfNull(stack);
        var list = ReadLayers(stack.Host, stack.Udp, stack.Tcp);
        if (stack.Dhcp is { } dhcp) AddDhcp(list, dhcp.Client.Statistics);
        AddDns(list, stack.Dns.Statistics);
        list.Add(new("StackLoopFramesHandled", stack.Loop.FramesHandled));
        list.Add(new("StackLoopInboxDrops", stack.Loop.InboxDrops));
        list.Add(new("StackLoopSleeps", stack.Loop.Sleeps));
        list.Add(new("StackLoopBusyPollSpins", stack.Loop.BusyPollSpins));
        list.Add(new("StackLoopBusyPollHits", stack.Loop.BusyPollHits));
        AddDevice(list, stack.Device);
        return list;
    }

    /// <summary>
    /// The counters of protocol layers that run without a <see cref="StackInstance"/> (a
    /// <see cref="Simulation.VirtualNetwork"/> host): all of <see cref="Read(StackInstance)"/> but the loop's, DNS's and DHCP's.
    /// </summary>
    public static IReadOnlyList<StackCounter> Read(IpHost host, UdpLayer udp, TcpLayer tcp)
    {
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(udp);
        ArgumentNullException.ThrowIfNull(tcp);
        return ReadLayers(host, udp, tcp);
    }

    private static List<StackCounter> ReadLayers(IpHost host, UdpLayer udp, TcpLayer tcp)
    {
        var list = new List<StackCounter>(1024);
        AddIpv4(list, host);
        AddIcmpv4(list, host.Statistics.Icmpv4);
        AddTcp(list, tcp.Statistics);
        AddUdp(list, udp.Statistics);
        AddIpv6(list, host);
        AddIcmpv6(list, host.Statistics.Icmpv6);
        AddUdp6(list, udp.Statistics);
        AddTcpExt(list, tcp.Statistics);
        AddIpExt(list, host.Statistics);
        AddStack(list, host, tcp);
        list.Add(new("StackUdpHandedOff", udp.Statistics.HandedOff));
        return list;
    }
}
