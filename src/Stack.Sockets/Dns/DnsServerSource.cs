namespace Stack.Sockets.Dns;

/// <summary>Where a DNS server came from. Each source's list is replaced as a whole when it changes.</summary>
public enum DnsServerSource
{
    /// <summary><see cref="DnsResolverOptions.Servers"/>: tried first.</summary>
    Options,

    /// <summary>DHCPv4's Domain Name Server option (RFC 2132 §3.8).</summary>
    Dhcp,

    /// <summary>A router advertisement's RDNSS option (RFC 8106).</summary>
    RouterAdvertisement,
}
