using Stack.Link.Wire;

namespace Stack.IP.Multicast;

/// <summary>A query as <see cref="MembershipProtocol"/> reads it, whichever version and family it came in.</summary>
public readonly ref struct MembershipQuery
{
    public MembershipQuery(int version, IpAddress group, TimeSpan maxResponseDelay, int robustness, ReadOnlySpan<byte> sources)
    {
        Version = version;
        Group = group;
        MaxResponseDelay = maxResponseDelay;
        Robustness = robustness;
        Sources = sources;
    }

    /// <summary>The protocol version the query's length and fields say it is (RFC 3810 §8.1, RFC 3376 §7.1).</summary>
    public int Version { get; }

    /// <summary>The group queried; unspecified in a general query.</summary>
    public IpAddress Group { get; }

    public TimeSpan MaxResponseDelay { get; }

    /// <summary>The querier's robustness variable, 0 when not stated.</summary>
    public int Robustness { get; }

    /// <summary>The sources of a group-and-source-specific query, back to back in the group's family.</summary>
    public ReadOnlySpan<byte> Sources { get; }

    public int AddressLength => Group.IsIpv6 ? Ipv6Address.Length : Ipv4Address.Length;

    public int SourceCount => Sources.Length / AddressLength;

    public IpAddress Source(int i) => Group.IsIpv6
        ? Ipv6Address.Read(Sources[(i * Ipv6Address.Length)..])
        : Ipv4Address.Read(Sources[(i * Ipv4Address.Length)..]);
}
