using System.Net;
using Stack.Sockets.Dns.Wire;

namespace Stack.Sockets.Dns;

/// <summary>One address of an answer and how long it may still be used.</summary>
public readonly record struct DnsAddress(IPAddress Address, TimeSpan Ttl);

/// <summary>
/// The outcome of looking up one name and type: the addresses (empty for a negative answer), the canonical name
/// the CNAME chain led to, the server's response code, and how long the whole answer may be cached: the least
/// TTL of the records it was built from, or for a negative answer the SOA's (RFC 2308 §5).
/// </summary>
public sealed record DnsAnswer(
    string Name,
    DnsRecordType Type,
    string CanonicalName,
    IReadOnlyList<DnsAddress> Addresses,
    DnsResponseCode ResponseCode,
    TimeSpan Ttl)
{
    /// <summary>True when this came from the cache rather than a server.</summary>
    public bool FromCache { get; init; }

    /// <summary>NXDOMAIN: the name does not exist (for any type).</summary>
    public bool IsNameError => ResponseCode == DnsResponseCode.NameError;

    /// <summary>NODATA: the name exists, without records of this type.</summary>
    public bool IsNoData => ResponseCode == DnsResponseCode.NoError && Addresses.Count == 0;
}
