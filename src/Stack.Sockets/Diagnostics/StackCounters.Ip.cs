using Stack.IP;
using Stack.IP.Fragments;
using Stack.Udp;

namespace Stack.Sockets.Diagnostics;

public static partial class StackCounters
{
    /// <summary>Linux's Icmp counters by message type (RFC 792), in /proc/net/snmp's order.</summary>
    private static readonly (string Name, byte Type)[] Icmpv4Types =
    [
        ("DestUnreachs", 3), ("TimeExcds", 11), ("ParmProbs", 12), ("SrcQuenchs", 4), ("Redirects", 5),
        ("Echos", 8), ("EchoReps", 0), ("Timestamps", 13), ("TimestampReps", 14), ("AddrMasks", 17), ("AddrMaskReps", 18),
    ];

    /// <summary>Linux's Icmp6 counters by message type (RFC 4443, 4861, 2710, 3810), in snmp6's order.</summary>
    private static readonly (string Name, byte Type)[] Icmpv6Types =
    [
        ("DestUnreachs", 1), ("PktTooBigs", 2), ("TimeExcds", 3), ("ParmProblems", 4), ("Echos", 128), ("EchoReplies", 129),
        ("GroupMembQueries", 130), ("GroupMembResponses", 131), ("GroupMembReductions", 132), ("RouterSolicits", 133),
        ("RouterAdvertisements", 134), ("NeighborSolicits", 135), ("NeighborAdvertisements", 136), ("Redirects", 137),
        ("MLDv2Reports", 143),
    ];

    private static void AddIpv4(List<StackCounter> list, IpHost host)
    {
        var s = host.Statistics;
        list.Add(new("IpInReceives", s.Ipv4Received));
        list.Add(new("IpInHdrErrors", s.Ipv4HeaderErrors));
        list.Add(new("IpInAddrErrors", s.Ipv4AddressErrors));
        list.Add(new("IpInUnknownProtos", s.Ipv4UnknownProtocols));
        // Linux counts InDelivers only for datagrams a protocol took (ip_protocol_deliver_rcu).
        list.Add(new("IpInDelivers", s.Ipv4Delivered - s.Ipv4UnknownProtocols));
        list.Add(new("IpOutRequests", s.Ipv4OutRequests));
        list.Add(new("IpOutNoRoutes", s.Ipv4NoRoutes));
        AddReassembly(list, "Ip", s.Ipv4FragmentsReceived, host.Reassembly4);
        list.Add(new("IpFragOKs", s.Ipv4Fragmented));
        list.Add(new("IpFragFails", s.Ipv4FragmentFails));
        list.Add(new("IpFragCreates", s.Ipv4FragmentsCreated));
    }

    private static void AddIpv6(List<StackCounter> list, IpHost host)
    {
        var s = host.Statistics;
        list.Add(new("Ip6InReceives", s.Ipv6Received));
        list.Add(new("Ip6InHdrErrors", s.Ipv6HeaderErrors));
        list.Add(new("Ip6InAddrErrors", s.Ipv6AddressErrors));
        list.Add(new("Ip6InUnknownProtos", s.Ipv6UnknownProtocols));
        list.Add(new("Ip6InTruncatedPkts", s.Ipv6Truncated));
        list.Add(new("Ip6InDelivers", s.Ipv6Delivered - s.Ipv6UnknownProtocols));
        list.Add(new("Ip6OutRequests", s.Ipv6OutRequests));
        list.Add(new("Ip6OutNoRoutes", s.Ipv6NoRoutes));
        AddReassembly(list, "Ip6", s.Ipv6FragmentsReceived, host.Reassembly6);
        list.Add(new("Ip6FragOKs", s.Ipv6Fragmented));
        list.Add(new("Ip6FragCreates", s.Ipv6FragmentsCreated));
    }

    /// <summary>
    /// RFC 4293 ipSystemStatsReasmFails counts failures of the algorithm, not fragments: as Linux, each datagram
    /// given up (timed out or evicted) counts once; here each fragment turned away counts once as well.
    /// </summary>
    private static void AddReassembly(List<StackCounter> list, string prefix, long fragments, ReassemblyCounters r)
    {
        list.Add(new(prefix + "ReasmReqds", fragments));
        list.Add(new(prefix + "ReasmOKs", r.Reassembled));
        list.Add(new(prefix + "ReasmFails", r.TimedOut + r.Evicted + r.TotalDropped));
    }

    private static void AddIcmpv4(List<StackCounter> list, IcmpStatistics s)
    {
        list.Add(new("IcmpInMsgs", s.InMessages));
        list.Add(new("IcmpInErrors", s.InErrors));
        list.Add(new("IcmpInCsumErrors", s.InChecksumErrors));
        foreach (var (name, type) in Icmpv4Types) list.Add(new("IcmpIn" + name, s.In(type)));
        list.Add(new("IcmpOutMsgs", s.OutMessages));
        foreach (var (name, type) in Icmpv4Types) list.Add(new("IcmpOut" + name, s.Out(type)));
        // Linux's IcmpMsg lines: a counter per type seen, in and out.
        for (int t = 0; t < 256; t++)
            if (s.In((byte)t) is var n and > 0) list.Add(new($"IcmpMsgInType{t}", n));
        for (int t = 0; t < 256; t++)
            if (s.Out((byte)t) is var n and > 0) list.Add(new($"IcmpMsgOutType{t}", n));
    }

    private static void AddIcmpv6(List<StackCounter> list, IcmpStatistics s)
    {
        list.Add(new("Icmp6InMsgs", s.InMessages));
        list.Add(new("Icmp6InErrors", s.InErrors));
        list.Add(new("Icmp6OutMsgs", s.OutMessages));
        list.Add(new("Icmp6InCsumErrors", s.InChecksumErrors));
        foreach (var (name, type) in Icmpv6Types) list.Add(new("Icmp6In" + name, s.In(type)));
        foreach (var (name, type) in Icmpv6Types) list.Add(new("Icmp6Out" + name, s.Out(type)));
        for (int t = 0; t < 256; t++)
            if (s.In((byte)t) is var n and > 0) list.Add(new($"Icmp6InType{t}", n));
        for (int t = 0; t < 256; t++)
            if (s.Out((byte)t) is var n and > 0) list.Add(new($"Icmp6OutType{t}", n));
    }

    private static void AddIpExt(List<StackCounter> list, IpStatistics s)
    {
        list.Add(new("IpExtInTruncatedPkts", s.Ipv4Truncated));
        list.Add(new("IpExtInCsumErrors", s.Ipv4ChecksumErrors));
    }

    /// <summary>Linux keeps UDP over IPv4 (Udp…) apart from UDP over IPv6 (Udp6…); UdpInErrors includes the receive buffer drops.</summary>
    private static void AddUdp(List<StackCounter> list, UdpStatistics s)
    {
        list.Add(new("UdpInDatagrams", s.DatagramsReceived - s.Ipv6DatagramsReceived));
        list.Add(new("UdpNoPorts", s.NoPorts - s.Ipv6NoPorts));
        list.Add(new("UdpInErrors", s.InErrors + s.ReceiveBufferErrors - s.Ipv6InErrors - s.Ipv6ReceiveBufferErrors));
        list.Add(new("UdpOutDatagrams", s.DatagramsSent - s.Ipv6DatagramsSent));
        list.Add(new("UdpRcvbufErrors", s.ReceiveBufferErrors - s.Ipv6ReceiveBufferErrors));
        list.Add(new("UdpInCsumErrors", s.ChecksumErrors - s.Ipv6ChecksumErrors));
    }

    private static void AddUdp6(List<StackCounter> list, UdpStatistics s)
    {
        list.Add(new("Udp6InDatagrams", s.Ipv6DatagramsReceived));
        list.Add(new("Udp6NoPorts", s.Ipv6NoPorts));
        list.Add(new("Udp6InErrors", s.Ipv6InErrors + s.Ipv6ReceiveBufferErrors));
        list.Add(new("Udp6OutDatagrams", s.Ipv6DatagramsSent));
        list.Add(new("Udp6RcvbufErrors", s.Ipv6ReceiveBufferErrors));
        list.Add(new("Udp6InCsumErrors", s.Ipv6ChecksumErrors));
    }
}
