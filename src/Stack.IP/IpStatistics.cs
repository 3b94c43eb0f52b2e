namespace Stack.IP;

/// <summary>Counters of what the IP layer did; plain fields written by the event loop.</summary>
public sealed class IpStatistics
{
    public long FramesReceived;
    public long Ipv4Delivered;
    public long Ipv6Delivered;
    public long EchoRepliesSent;
    public long IcmpErrorsSent;
    public long IcmpErrorsSuppressed;
    public long PacketsSent;
    public long FragmentsSent;
    public long DatagramsReassembled;

    /// <summary>ICMP and ICMPv6 redirects that installed a host route.</summary>
    public long RedirectsAccepted;
}
