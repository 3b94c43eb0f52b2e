using System.Net;

namespace Stack.Sockets.Dns.Wire;

/// <summary>
/// A resource record (RFC 1035 §3.2.1, §4.1.3). Read records carry their data raw in <see cref="Data"/> and, for
/// the types the resolver uses, decoded: <see cref="Address"/> (A, AAAA), <see cref="Target"/> (CNAME, NS,
/// PTR), <see cref="Soa"/> (SOA). Written records are built with the factories.
/// </summary>
public sealed record DnsRecord(string Name, DnsRecordType Type, DnsClass Class, uint Ttl, byte[] Data)
{
    /// <summary>RFC 2181 §8: a TTL with the top bit set is read as zero.</summary>
    public const uint MaxTtl = int.MaxValue;

    public IPAddress? Address { get; init; }

    public string? Target { get; init; }

    public DnsSoa? Soa { get; init; }

    /// <summary>An A or AAAA record for <paramref name="address"/>'s family.</summary>
    public static DnsRecord ForAddress(string name, uint ttl, IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        var type = address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? DnsRecordType.AAAA : DnsRecordType.A;
        return new DnsRecord(name, type, DnsClass.IN, ttl, address.GetAddressBytes()) { Address = address };
    }

    public static DnsRecord ForCname(string name, uint ttl, string target) =>
        new(name, DnsRecordType.CNAME, DnsClass.IN, ttl, []) { Target = target };

    public static DnsRecord ForSoa(string name, uint ttl, DnsSoa soa) =>
        new(name, DnsRecordType.SOA, DnsClass.IN, ttl, []) { Soa = soa };
}

/// <summary>An SOA record's data (RFC 1035 §3.3.13). <see cref="Minimum"/> bounds negative caching (RFC 2308 §4).</summary>
public sealed record DnsSoa(string PrimaryServer, string Mailbox, uint Serial, uint Refresh, uint Retry, uint Expire, uint Minimum);
