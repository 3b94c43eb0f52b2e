namespace Stack.IP;

/// <summary>
/// Counters of what the IP layer did; plain fields written by the event loop, read by anyone (a torn read of a
/// counter being incremented is harmless for diagnostics). The per-family ones follow Linux's /proc/net/snmp Ip
/// and snmp6 Ip6 counters (RFC 4293's ipSystemStats); docs/metrics.md maps each to its nstat name.
/// </summary>
public sealed class IpStatistics
{
    public long FramesReceived;
    public long Ipv4Delivered;
    public long Ipv6Delivered;
    public long EchoRepliesSent;
    public long IcmpErrorsSent;
    public long IcmpErrorsSuppressed;

    /// <summary>ICMP errors about no connection or socket here, handed to another shard of a multi-queue stack (<see cref="IpHost.IcmpHandOff"/>).</summary>
    public long IcmpErrorsHandedOff;

    /// <summary>
    /// Messages for the DHCP client or IPv6 autoconfiguration (router advertisements, DAD messages, DHCP replies, ARP
    /// during the client's probes) that landed here and were handed to the multi-queue stack's configuring shard.
    /// </summary>
    public long ConfigurationHandedOff;

    public long PacketsSent;
    public long FragmentsSent;
    public long DatagramsReassembled;

    /// <summary>ICMP and ICMPv6 redirects that installed a host route.</summary>
    public long RedirectsAccepted;

    /// <summary>IPv4 datagrams received from the link, malformed ones included (InReceives).</summary>
    public long Ipv4Received;

    /// <summary>IPv4 datagrams with a malformed header: short, bad version, lengths, checksum, options (InHdrErrors).</summary>
    public long Ipv4HeaderErrors;

    /// <summary>IPv4 datagrams whose header checksum failed (Linux IpExt InCsumErrors; also in <see cref="Ipv4HeaderErrors"/>).</summary>
    public long Ipv4ChecksumErrors;

    /// <summary>IPv4 datagrams shorter than their total length says (Linux IpExt InTruncatedPkts).</summary>
    public long Ipv4Truncated;

    /// <summary>Unicast IPv4 datagrams for an address not ours: a host does not forward (InAddrErrors).</summary>
    public long Ipv4AddressErrors;

    /// <summary>IPv4 datagrams for a protocol no transport takes (InUnknownProtos; also in <see cref="Ipv4Delivered"/>).</summary>
    public long Ipv4UnknownProtocols;

    /// <summary>IPv4 datagrams handed to IP to send, before fragmentation (OutRequests).</summary>
    public long Ipv4OutRequests;

    /// <summary>IPv4 datagrams not sent for want of a route (OutNoRoutes).</summary>
    public long Ipv4NoRoutes;

    /// <summary>IPv4 fragments received for reassembly (ReasmReqds).</summary>
    public long Ipv4FragmentsReceived;

    /// <summary>IPv4 datagrams sent in fragments (FragOKs).</summary>
    public long Ipv4Fragmented;

    /// <summary>IPv4 fragments made (FragCreates).</summary>
    public long Ipv4FragmentsCreated;

    /// <summary>IPv4 datagrams that needed fragmenting but carried DF, not sent (FragFails).</summary>
    public long Ipv4FragmentFails;

    /// <summary>IPv6 packets received from the link, malformed ones included (Ip6InReceives).</summary>
    public long Ipv6Received;

    /// <summary>IPv6 packets with a malformed header or extension header chain (Ip6InHdrErrors).</summary>
    public long Ipv6HeaderErrors;

    /// <summary>IPv6 packets shorter than their payload length says (Ip6InTruncatedPkts).</summary>
    public long Ipv6Truncated;

    /// <summary>Unicast IPv6 packets for an address not ours (Ip6InAddrErrors).</summary>
    public long Ipv6AddressErrors;

    /// <summary>IPv6 packets whose upper-layer protocol no transport takes (Ip6InUnknownProtos; also in <see cref="Ipv6Delivered"/>).</summary>
    public long Ipv6UnknownProtocols;

    /// <summary>IPv6 packets handed to IP to send, before fragmentation (Ip6OutRequests).</summary>
    public long Ipv6OutRequests;

    /// <summary>IPv6 packets not sent for want of a route (Ip6OutNoRoutes).</summary>
    public long Ipv6NoRoutes;

    /// <summary>IPv6 fragments received for reassembly (Ip6ReasmReqds).</summary>
    public long Ipv6FragmentsReceived;

    /// <summary>IPv6 packets sent in fragments (Ip6FragOKs).</summary>
    public long Ipv6Fragmented;

    /// <summary>IPv6 fragments made (Ip6FragCreates).</summary>
    public long Ipv6FragmentsCreated;

    /// <summary>ICMP messages in and out by type.</summary>
    public IcmpStatistics Icmpv4 { get; } = new();

    /// <summary>ICMPv6 messages in and out by type.</summary>
    public IcmpStatistics Icmpv6 { get; } = new();
}
