using Stack.IP;
using Stack.IP.Fragments;
using Stack.Link.Devices;
using Stack.Link.Devices.Impairment;
using Stack.Link.Devices.Tap;
using Stack.Link.Diagnostics;
using Stack.Link.Neighbors;
using Stack.Sockets.Dhcp.Wire;
using Stack.Sockets.Dns.Wire;

namespace Stack.Sockets.Diagnostics;

public static partial class StackCounters
{
    private static readonly Layer[] Layers = Enum.GetValues<Layer>();
    private static readonly RejectReason[] Reasons = [.. Enum.GetValues<RejectReason>().Where(r => r != RejectReason.None)];
    private static readonly ReassemblyDrop[] ReassemblyDrops = [.. Enum.GetValues<ReassemblyDrop>().Where(r => r != ReassemblyDrop.None)];

    /// <summary>What the stack counts that Linux does not (or not under one name): all named Stack….</summary>
    private static void AddStack(List<StackCounter> list, IpHost host, Stack.Tcp.TcpLayer tcp)
    {
        AddStackIp(list, host);
        AddStackTcp(list, tcp);
        // Every turned-away packet by the layer whose rule it broke and why: StackReject{Layer}{Reason}.
        foreach (var layer in Layers)
            foreach (var reason in Reasons)
                list.Add(new($"StackReject{layer}{reason}", host.Rejects[layer, reason]));
        AddNeighbors(list, "Arp", host.Arp.Cache);
        list.Add(new("StackArpConflicts", host.Arp.Conflicts));
        AddNeighbors(list, "Ndp", host.Ndp.Cache);
        if (host.Autoconf is { } autoconf)
            foreach (var f in typeof(IP.Autoconf.AutoconfStatistics).GetFields())
                list.Add(new("StackAutoconf" + f.Name, (long)f.GetValue(autoconf.Statistics)!));
    }

    private static void AddStackIp(List<StackCounter> list, IpHost host)
    {
        var s = host.Statistics;
        list.Add(new("StackIpFramesReceived", s.FramesReceived));
        list.Add(new("StackIpPacketsSent", s.PacketsSent));
        list.Add(new("StackIpRedirectsAccepted", s.RedirectsAccepted));
        list.Add(new("StackIcmpErrorsSent", s.IcmpErrorsSent));
        list.Add(new("StackIcmpErrorsRateLimited", s.IcmpErrorsSuppressed));
        list.Add(new("StackIcmpErrorsHandedOff", s.IcmpErrorsHandedOff));
        list.Add(new("StackConfigHandedOff", s.ConfigurationHandedOff));
        AddStackReassembly(list, "StackIp", host.Reassembly4);
        AddStackReassembly(list, "StackIp6", host.Reassembly6);
    }

    private static void AddStackReassembly(List<StackCounter> list, string prefix, ReassemblyCounters r)
    {
        foreach (var drop in ReassemblyDrops) list.Add(new($"{prefix}ReasmDrop{drop}", r[drop]));
        list.Add(new(prefix + "ReasmDuplicates", r.Duplicates));
        list.Add(new(prefix + "ReasmAtomic", r.AtomicFragments));
        list.Add(new(prefix + "ReasmTimeouts", r.TimedOut));
        list.Add(new(prefix + "ReasmEvicted", r.Evicted));
        list.Add(new(prefix + "ReasmInProgress", r.DatagramsInProgress, IsGauge: true));
        list.Add(new(prefix + "ReasmBytesHeld", r.BytesHeld, IsGauge: true));
    }

    private static void AddNeighbors<TAddress>(List<StackCounter> list, string name, NeighborCache<TAddress> cache)
        where TAddress : struct, IEquatable<TAddress>
    {
        list.Add(new($"Stack{name}Entries", cache.Count, IsGauge: true));
        list.Add(new($"Stack{name}QueueDrops", cache.QueueDrops));
        list.Add(new($"Stack{name}ResolutionFailures", cache.ResolutionFailures));
    }

    private static void AddDhcp(List<StackCounter> list, Dhcp.DhcpStatistics s)
    {
        list.Add(new("StackDhcpReceived", s.Received));
        list.Add(new("StackDhcpAccepted", s.Accepted));
        list.Add(new("StackDhcpProbes", s.Probes));
        list.Add(new("StackDhcpDeclines", s.Declines));
        list.Add(new("StackDhcpRenewals", s.Renewals));
        list.Add(new("StackDhcpExpiries", s.Expiries));
        list.Add(new("StackDhcpNaks", s.Naks));
        foreach (var type in Enum.GetValues<DhcpMessageType>()) list.Add(new($"StackDhcpOut{type}", s.Sent(type)));
        foreach (var reason in Enum.GetValues<Dhcp.DhcpRejectReason>()) list.Add(new($"StackDhcpReject{reason}", s[reason]));
    }

    private static void AddDns(List<StackCounter> list, Dns.DnsStatistics s)
    {
        list.Add(new("StackDnsUdpQueries", s.UdpQueries));
        list.Add(new("StackDnsTcpQueries", s.TcpQueries));
        list.Add(new("StackDnsTimeouts", s.Timeouts));
        list.Add(new("StackDnsTruncated", s.Truncated));
        list.Add(new("StackDnsServerFailures", s.ServerFailures));
        list.Add(new("StackDnsCacheHits", s.CacheHits));
        list.Add(new("StackDnsCacheMisses", s.CacheMisses));
        foreach (var reason in Enum.GetValues<DnsRejectReason>()) list.Add(new($"StackDnsReject{reason}", s[reason]));
    }

    /// <summary>
    /// The link device's own counters, when the stack holds it directly: a TAP's (StackTap…), or an impairment's
    /// in each direction (StackImpairIn…, StackImpairOut…: what `--impair` lost, duplicated, reordered, corrupted).
    /// </summary>
    private static void AddDevice(List<StackCounter> list, ILinkDevice device)
    {
        if (device is TapDevice tap)
        {
            list.Add(new("StackTapFramesReceived", tap.FramesReceived));
            list.Add(new("StackTapGsoFramesReceived", tap.GsoFramesReceived));
            list.Add(new("StackTapFramesSent", tap.FramesSent));
            list.Add(new("StackTapReceiveErrors", tap.ReceiveErrors));
            list.Add(new("StackTapTransmitErrors", tap.TransmitErrors));
            list.Add(new("StackTapSinkErrors", tap.SinkErrors));
        }
        else if (device is ImpairedDevice impaired)
        {
            AddImpairment(list, "StackImpairIn", impaired.Inbound);
            AddImpairment(list, "StackImpairOut", impaired.Outbound);
        }
    }

    private static void AddImpairment(List<StackCounter> list, string prefix, ImpairmentCounters c)
    {
        list.Add(new(prefix + "Offered", c.Offered));
        list.Add(new(prefix + "Lost", c.Lost));
        list.Add(new(prefix + "Duplicated", c.Duplicated));
        list.Add(new(prefix + "Reordered", c.Reordered));
        list.Add(new(prefix + "Corrupted", c.Corrupted));
        list.Add(new(prefix + "RateDropped", c.RateDropped));
    }
}
