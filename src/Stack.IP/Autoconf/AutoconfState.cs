using Stack.IP.Routing;
using Stack.Link.Time;
using Stack.Link.Wire;

namespace Stack.IP.Autoconf;

/// <summary>RFC 4862 §2 address states, for an address SLAAC formed.</summary>
public enum SlaacState
{
    /// <summary>Duplicate address detection is running; the address is not assigned yet.</summary>
    Tentative,
    /// <summary>Assigned, and the preferred source for new communication.</summary>
    Preferred,
    /// <summary>Assigned, but its preferred lifetime has passed: kept for existing communication only.</summary>
    Deprecated,
}

/// <summary>A default router (RFC 4861 §6.3.4) and when its router lifetime runs out.</summary>
public readonly record struct DefaultRouter(Ipv6Address Address, Instant Expires);

/// <summary>An on-link prefix learned from a Prefix Information option with the L flag, and its valid lifetime's end.</summary>
public readonly record struct OnLinkPrefix(InterfaceAddress Prefix, Instant Expires);

/// <summary>A recursive DNS server from an RDNSS option (RFC 8106) and when its lifetime runs out.</summary>
public readonly record struct DnsServer(Ipv6Address Address, Instant Expires);

/// <summary>An address SLAAC formed, with its state and lifetimes (<see cref="Instant.Never"/>: infinite).</summary>
public readonly record struct SlaacAddress(InterfaceAddress Address, SlaacState State, Instant PreferredUntil, Instant ValidUntil);

/// <summary>What changed in the autoconfigured state.</summary>
public enum AutoconfChangeKind
{
    AddressTentative,
    AddressAssigned,
    AddressDeprecated,
    AddressRemoved,
    /// <summary>DAD found the tentative address in use (RFC 4862 §5.4.5); it was given up.</summary>
    AddressDuplicate,
    RouterAdded,
    RouterRemoved,
    PrefixAdded,
    PrefixRemoved,
    DnsServerAdded,
    DnsServerRemoved,
}

/// <summary>One change, raised on the event loop by <see cref="Ipv6Autoconf.Changed"/>.</summary>
public readonly record struct AutoconfChange(AutoconfChangeKind Kind, Ipv6Address Address, Instant At)
{
    public override string ToString() => $"{Kind} {Address}";
}

/// <summary>Counters of what autoconfiguration did; plain fields written by the event loop.</summary>
public sealed class AutoconfStatistics
{
    public long RouterSolicitationsSent;
    public long RouterAdvertisementsAccepted;
    public long DadSolicitationsSent;
    public long DuplicateAddresses;
    public long AddressesAssigned;
    public long AddressesRemoved;

    /// <summary>New routers, prefixes and addresses that met a full list (<see cref="AutoconfOptions"/>'s caps).</summary>
    public long RoutersIgnored;
    public long PrefixesIgnored;
    public long AddressesNotFormed;

    /// <summary>DNS servers that replaced another in a full list (RFC 8106 §5.3.1).</summary>
    public long DnsServersReplaced;

    /// <summary>RFC 4862 §5.5.3(e): valid lifetimes an advertisement tried to cut, held at two hours (or as they were).</summary>
    public long ValidLifetimesHeld;
}
