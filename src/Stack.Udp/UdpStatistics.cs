namespace Stack.Udp;

/// <summary>
/// RFC 4113's UDP counters (as in /proc/net/snmp). Written only by the event loop; read by anyone as a snapshot.
/// Each counts both families; the Ipv6 ones count the IPv6 part again, as Linux keeps Udp6 apart from Udp.
/// </summary>
public sealed class UdpStatistics
{
    /// <summary>Datagrams delivered to an endpoint's queue (udpInDatagrams).</summary>
    public long DatagramsReceived { get; internal set; }

    /// <summary>Datagrams for a port nobody listens on (udpNoPorts).</summary>
    public long NoPorts { get; internal set; }

    /// <summary>Malformed or failing the checksum (udpInErrors, less the queue drops).</summary>
    public long InErrors { get; internal set; }

    /// <summary>Failing the checksum (Linux InCsumErrors; also in <see cref="InErrors"/>).</summary>
    public long ChecksumErrors { get; internal set; }

    /// <summary>Dropped because the endpoint's receive queue was full (Linux's RcvbufErrors).</summary>
    public long ReceiveBufferErrors { get; internal set; }

    /// <summary>
    /// Datagrams no endpoint here took, handed to another shard of a multi-queue stack (<see cref="UdpLayer.HandOff"/>)
    /// instead of counted in <see cref="NoPorts"/> and answered with port unreachable.
    /// </summary>
    public long HandedOff { get; internal set; }

    /// <summary>Datagrams handed to IP (udpOutDatagrams).</summary>
    public long DatagramsSent { get; internal set; }

    /// <summary>The IPv6 part of <see cref="DatagramsReceived"/> (Udp6InDatagrams).</summary>
    public long Ipv6DatagramsReceived { get; internal set; }

    /// <summary>The IPv6 part of <see cref="NoPorts"/> (Udp6NoPorts).</summary>
    public long Ipv6NoPorts { get; internal set; }

    /// <summary>The IPv6 part of <see cref="InErrors"/>.</summary>
    public long Ipv6InErrors { get; internal set; }

    /// <summary>The IPv6 part of <see cref="ChecksumErrors"/> (Udp6InCsumErrors).</summary>
    public long Ipv6ChecksumErrors { get; internal set; }

    /// <summary>The IPv6 part of <see cref="ReceiveBufferErrors"/> (Udp6RcvbufErrors).</summary>
    public long Ipv6ReceiveBufferErrors { get; internal set; }

    /// <summary>The IPv6 part of <see cref="DatagramsSent"/> (Udp6OutDatagrams).</summary>
    public long Ipv6DatagramsSent { get; internal set; }
}
