using Stack.IP.Routing;
using Stack.Link.Time;
using Stack.Link.Wire;

namespace Stack.Sockets.Dhcp;

/// <summary>
/// An address a DHCP server lent the stack, with the configuration that came with it and the times that govern
/// it (RFC 2131 §4.4.5), measured from when the client sent the request the server acknowledged.
/// </summary>
public sealed record DhcpLease
{
    /// <summary>The address and its prefix (option 1; the address's class when the server sent no mask).</summary>
    public required InterfaceAddress Address { get; init; }

    /// <summary>The server that acknowledged it (option 54): where renewals go.</summary>
    public required Ipv4Address Server { get; init; }

    /// <summary>Option 3: default routers, the first one used.</summary>
    public IReadOnlyList<Ipv4Address> Routers { get; init; } = [];

    /// <summary>Option 6: DNS servers, for a resolver to use.</summary>
    public IReadOnlyList<Ipv4Address> DnsServers { get; init; } = [];

    /// <summary>Option 26: the interface MTU the server advises; reported, not applied (the link's MTU is fixed when the stack starts).</summary>
    public int? Mtu { get; init; }

    /// <summary>The lease's length (option 51); <see cref="TimeSpan.MaxValue"/> for an infinite one.</summary>
    public required TimeSpan Duration { get; init; }

    /// <summary>T1 (option 58, else half the lease): when the client asks its server to extend the lease.</summary>
    public required TimeSpan RenewalTime { get; init; }

    /// <summary>T2 (option 59, else 7/8 of the lease): when it asks any server.</summary>
    public required TimeSpan RebindingTime { get; init; }

    /// <summary>When the acknowledged request was sent (the lease's times count from here).</summary>
    public required Instant Start { get; init; }

    public bool IsInfinite => Duration == TimeSpan.MaxValue;

    public Instant RenewAt => IsInfinite ? Instant.Never : Start + RenewalTime;
    public Instant RebindAt => IsInfinite ? Instant.Never : Start + RebindingTime;
    public Instant ExpiresAt => IsInfinite ? Instant.Never : Start + Duration;

    public override string ToString() =>
        $"{Address} router {(Routers.Count > 0 ? Routers[0].ToString() : "none")} " +
        $"dns {(DnsServers.Count > 0 ? string.Join(",", DnsServers) : "none")} " +
        $"lease {(IsInfinite ? "infinite" : $"{Duration.TotalSeconds:0}s")} t1 {RenewalTime.TotalSeconds:0}s t2 {RebindingTime.TotalSeconds:0}s " +
        $"server {Server}" + (Mtu is { } mtu ? $" mtu {mtu}" : "");
}
