using Stack.IP.Autoconf;
using Stack.IP.Routing;
using Stack.Link.Time;
using Stack.Link.Wire;

namespace Stack.IP;

/// <summary>
/// A multi-queue stack's shards share one configuration (StackShards): one shard runs DHCP and IPv6
/// autoconfiguration and says when what they set changes (<see cref="ConfigurationChanged"/>,
/// <see cref="Configuration"/>); the others follow it (<see cref="Follow"/>) and hand it the neighbour discovery
/// messages it must see (<see cref="NdpHandOff"/>). A one-queue stack uses none of this.
/// </summary>
public sealed partial class IpHost
{
    private Ipv6Address[] _followedTentative = [];
    private Ipv6Address[] _followedDeprecated = [];

    /// <summary>
    /// Raised on the loop when an address comes or goes, or autoconfiguration has processed an advertisement or run
    /// its timers: <see cref="Configuration"/> may have changed (a subscriber compares). Several may come in a row.
    /// </summary>
    public event Action? ConfigurationChanged;

    /// <summary>
    /// Set on a shard that follows another's configuration: offered each router advertisement (which this host does
    /// not process, having no <see cref="Autoconf"/>) and each solicitation from :: or advertisement about a
    /// followed tentative address (duplicate address detection runs on the configuring shard). The message's span
    /// is valid only during the call.
    /// </summary>
    public NdpHandOff? NdpHandOff { get; set; }

    /// <summary>
    /// What may change here while the stack runs, as one value; read on the loop. On a following shard the
    /// tentative and deprecated addresses are the ones it follows.
    /// </summary>
    public HostConfiguration Configuration
    {
        get
        {
            IReadOnlyList<Ipv6Address> tentative = _followedTentative, deprecated = _followedDeprecated;
            if (Autoconf is { } autoconf)
            {
                tentative = [.. autoconf.Addresses.Where(a => a.State == SlaacState.Tentative).Select(a => a.Address.Address.V6)];
                deprecated = [.. autoconf.Addresses.Where(a => a.State == SlaacState.Deprecated).Select(a => a.Address.Address.V6)];
            }
            return new HostConfiguration([.. _addresses], [.. Routes.OnLinkPrefixes], Routes.GatewayV4, Routes.GatewayV6,
                Routes.LearnedGatewayV6, _ipv6HopLimit, _ipv6Mtu, Ndp.Cache.Timings, tentative, deprecated);
        }
    }

    internal void RaiseConfigurationChanged() => ConfigurationChanged?.Invoke();

    /// <summary>
    /// Makes this host's configuration <paramref name="configuration"/> (another shard's): addresses it lacks are
    /// added without an announcement (the configuring shard announced them), addresses it has no more are removed
    /// (the transports hear of it, as with <see cref="RemoveAddress"/>), and routes, hop limit, MTU and neighbour
    /// timings are taken as they are.
    /// </summary>
    public void Follow(HostConfiguration configuration, Instant now)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        for (int i = _addresses.Count - 1; i >= 0; i--)
        {
            var a = _addresses[i].Address;
            if (!configuration.Addresses.Any(c => c.Address == a)) RemoveAddress(a, now);
        }
        foreach (var c in configuration.Addresses)
        {
            int index = _addresses.FindIndex(a => a.Address == c.Address);
            if (index >= 0)
            {
                _addresses[index] = c; // a new prefix length (a renewed lease with a new mask)
                continue;
            }
            _addresses.Add(c);
            JoinSolicitedNode(c.Address, now);
        }
        Routes.ReplaceOnLink(configuration.OnLink);
        Routes.GatewayV4 = configuration.GatewayV4;
        Routes.GatewayV6 = configuration.GatewayV6;
        Routes.LearnedGatewayV6 = configuration.LearnedGatewayV6;
        _ipv6HopLimit = configuration.HopLimit;
        _ipv6Mtu = configuration.Ipv6Mtu;
        Ndp.Cache.Timings = configuration.Timings;
        _followedTentative = [.. configuration.Tentative];
        _followedDeprecated = [.. configuration.Deprecated];
    }

    /// <summary>
    /// A neighbour discovery message a following shard handed over (<see cref="NdpHandOff"/>), already checked
    /// there; handled here as if it had come in on this shard's queue.
    /// </summary>
    public void OnHandedOffNdp(ReadOnlySpan<byte> message, Ipv6Address source, Ipv6Address destination, byte hopLimit, Instant now) =>
        Ndp.OnMessage(message, source, destination, hopLimit, now);

    /// <summary>
    /// A solicitation from :: or an advertisement about <paramref name="target"/>: true when duplicate address
    /// detection took it (here, or handed to the configuring shard), and neighbour discovery goes no further.
    /// </summary>
    internal bool OnDadMessage(Ipv6Address target, ReadOnlySpan<byte> message, Ipv6Address source, Ipv6Address destination, byte hopLimit, Instant now)
    {
        if (Autoconf is { } autoconf) return autoconf.OnDadConflict(target, now);
        if (NdpHandOff is not { } handOff || Array.IndexOf(_followedTentative, target) < 0) return false;
        handOff(message, source, destination, hopLimit);
        return true;
    }

    /// <summary>A router advertisement: autoconfiguration's, here or on the configuring shard; ignored without either (accept_ra = 0).</summary>
    internal void OnRouterAdvertisement(NdpMessage ra, ReadOnlySpan<byte> message, Ipv6Address source, Ipv6Address destination, byte hopLimit, Instant now)
    {
        if (Autoconf is { } autoconf) autoconf.OnRouterAdvertisement(ra, source, now);
        else NdpHandOff?.Invoke(message, source, destination, hopLimit);
    }

    private bool IsTentativeGroup(Ipv6Address group)
    {
        if (Autoconf is { } autoconf) return autoconf.IsTentativeGroup(group);
        foreach (var a in _followedTentative)
            if (a.SolicitedNodeMulticast == group) return true;
        return false;
    }

    private bool IsTentativeGroup(MacAddress group)
    {
        if (Autoconf is { } autoconf) return autoconf.IsTentativeGroup(group);
        foreach (var a in _followedTentative)
            if (MacAddress.ForIpv6Multicast(a.SolicitedNodeMulticast) == group) return true;
        return false;
    }

    private bool IsDeprecated(Ipv6Address address) => Autoconf?.IsDeprecated(address) ?? Array.IndexOf(_followedDeprecated, address) >= 0;
}

/// <summary>
/// Hands a neighbour discovery message (its ICMPv6 bytes, checked, and the IPv6 header's addresses and hop limit) to
/// the shard that runs autoconfiguration (<see cref="IpHost.NdpHandOff"/>); the span is valid only during the call.
/// </summary>
public delegate void NdpHandOff(ReadOnlySpan<byte> message, Ipv6Address source, Ipv6Address destination, byte hopLimit);
