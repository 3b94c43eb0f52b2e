using Stack.IP.Routing;
using Stack.Link.Diagnostics;
using Stack.Link.Neighbors;
using Stack.Link.Time;
using Stack.Link.Wire;

namespace Stack.IP.Autoconf;

// Router advertisement processing (RFC 4861 §6.3.4). Neighbour discovery has checked the hop limit (255), the
// ICMPv6 checksum, the code, the length and that every option has a non-zero length that fits (§6.1.2).
public sealed partial class Ipv6Autoconf
{
    /// <summary>Linux clamps advertised reachable and retransmission times to at least HZ/10.</summary>
    private static readonly TimeSpan MinNeighborTime = TimeSpan.FromMilliseconds(100);

    /// <summary>RFC 4861 §6.2.1: MaxAdvReachableTime is an hour; we hold both times to it.</summary>
    private static readonly TimeSpan MaxNeighborTime = TimeSpan.FromHours(1);

    private TimeSpan _baseReachableTime;

    internal void OnRouterAdvertisement(NdpMessage ra, Ipv6Address src, Instant now)
    {
        // §6.1.2: routers advertise from their link-local address, so a host can tell them apart after renumbering.
        if (!src.IsLinkLocal || _host.IsLocal(src))
        {
            Reject(RejectReason.BadAddress);
            return;
        }
        // A known option of the wrong size rejects the whole advertisement before any of it is applied. Linux is
        // more lenient (it skips a short prefix option and applies what came before a bad link-layer option).
        if (!OptionsAreWellSized(ra.Options))
        {
            Reject(RejectReason.BadOption);
            return;
        }
        Statistics.RouterAdvertisementsAccepted++;
        StopSoliciting();
        if (ra.CurHopLimit != 0) _host.Ipv6HopLimit = ra.CurHopLimit;
        OnRouterLifetime(src, ra.RouterLifetime, now);
        OnNeighborTimes(ra.ReachableTime, ra.RetransTimer);
        var walker = new NdpOptionWalker(ra.Options);
        while (walker.MoveNext(out var option))
        {
            switch (NdpOption.TypeOf(option))
            {
                // Each read succeeds: OptionsAreWellSized checked them all.
                case NdpOption.SourceLinkLayerAddress when NdpOption.TryReadLinkLayer(option, out var mac):
                    // §6.3.4: record the router's link-layer address, creating the entry if need be (STALE).
                    _host.Ndp.Cache.LearnUnsolicited(src, mac, now);
                    break;
                case NdpOption.Mtu when NdpOption.TryReadMtu(option, out uint mtu):
                    OnMtu(mtu);
                    break;
                case NdpOption.PrefixInformation when NdpPrefixInformation.TryRead(option, out var prefix):
                    OnPrefix(prefix, now);
                    break;
                case NdpOption.RecursiveDnsServer when NdpDnsServers.TryParse(option, out var servers):
                    OnDnsServers(servers, now);
                    break;
            }
        }
        SelectRouter();
        Publish();
        Recompute();
    }

    private static bool OptionsAreWellSized(ReadOnlySpan<byte> options)
    {
        var walker = new NdpOptionWalker(options);
        while (walker.MoveNext(out var option))
        {
            bool ok = NdpOption.TypeOf(option) switch
            {
                NdpOption.SourceLinkLayerAddress => NdpOption.TryReadLinkLayer(option, out _),
                NdpOption.Mtu => NdpOption.TryReadMtu(option, out _),
                NdpOption.PrefixInformation => NdpPrefixInformation.TryRead(option, out _),
                NdpOption.RecursiveDnsServer => NdpDnsServers.TryParse(option, out _),
                _ => true, // §4.6: unknown options are skipped
            };
            if (!ok) return false;
        }
        return true;
    }

    private void OnRouterLifetime(Ipv6Address router, ushort seconds, Instant now)
    {
        if (seconds == 0)
        {
            // §6.3.4: a zero lifetime times the router out at once (a router going away says so).
            if (_routers.Remove(router)) Raise(AutoconfChangeKind.RouterRemoved, router, now);
            return;
        }
        switch (_routers.Set(router, now + TimeSpan.FromSeconds(seconds), out _))
        {
            case SetOutcome.Added:
                Raise(AutoconfChangeKind.RouterAdded, router, now);
                break;
            case SetOutcome.Full:
                Statistics.RoutersIgnored++;
                break;
        }
    }

    /// <summary>
    /// §6.3.4: a non-zero reachable time sets BaseReachableTime, and a new one draws a new ReachableTime
    /// (§6.3.2: uniformly between 0.5 and 1.5 times the base); a non-zero retransmission timer sets RetransTimer.
    /// </summary>
    private void OnNeighborTimes(uint reachableMs, uint retransMs)
    {
        var timings = _host.Ndp.Cache.Timings;
        if (reachableMs != 0)
        {
            var reachable = Clamp(reachableMs);
            if (reachable != _baseReachableTime)
            {
                _baseReachableTime = reachable;
                timings = timings with { ReachableTime = reachable * (0.5 + _random.NextDouble()) };
            }
        }
        if (retransMs != 0) timings = timings with { RetransTimer = Clamp(retransMs) };
        _host.Ndp.Cache.Timings = timings;
    }

    private static TimeSpan Clamp(uint ms)
    {
        var t = TimeSpan.FromMilliseconds(ms);
        return t < MinNeighborTime ? MinNeighborTime : t > MaxNeighborTime ? MaxNeighborTime : t;
    }

    /// <summary>§6.3.4: an MTU below IPv6's minimum or above the link's is ignored (Linux logs "invalid mtu").</summary>
    private void OnMtu(uint mtu)
    {
        if (mtu < IpHost.MinIpv6PathMtu || mtu > (uint)_host.Mtu)
        {
            Reject(RejectReason.BadField);
            return;
        }
        _host.Ipv6Mtu = (int)mtu;
    }

    private void OnPrefix(NdpPrefixInformation option, Instant now)
    {
        if (option.PrefixLength > 128)
        {
            Reject(RejectReason.BadField);
            return;
        }
        var prefix = Mask(option.Prefix, option.PrefixLength);
        // §6.3.4 and RFC 4862 §5.5.3(b): the link-local prefix is ignored, as is a multicast one.
        if (prefix.IsLinkLocal || prefix.IsMulticast)
        {
            Reject(RejectReason.BadAddress);
            return;
        }
        // RFC 4862 §5.5.3(c) ignores such an option for SLAAC; Linux ignores it altogether, and so do we.
        if (option.PreferredLifetime > option.ValidLifetime)
        {
            Reject(RejectReason.BadField);
            return;
        }
        if (option.OnLink) OnOnLinkPrefix(new InterfaceAddress(prefix, option.PrefixLength), option.ValidLifetime, now);
        if (option.Autonomous) OnAutonomousPrefix(prefix, option.PrefixLength, option.ValidLifetime, option.PreferredLifetime, now);
    }

    private static Ipv6Address Mask(Ipv6Address address, int length) =>
        length == 0 ? Ipv6Address.Unspecified : new(address.Value & (UInt128.MaxValue << (128 - length)));

    private void OnOnLinkPrefix(InterfaceAddress prefix, uint validSeconds, Instant now)
    {
        if (validSeconds == 0)
        {
            if (_prefixes.Remove(prefix)) RemoveOnLink(prefix, now);
            return;
        }
        switch (_prefixes.Set(prefix, Lifetime.Expiry(now, validSeconds), out _))
        {
            case SetOutcome.Added:
                _host.Routes.AddOnLink(prefix);
                Raise(AutoconfChangeKind.PrefixAdded, prefix.Address.V6, now);
                break;
            case SetOutcome.Full:
                Statistics.PrefixesIgnored++;
                break;
        }
    }

    private void RemoveOnLink(InterfaceAddress prefix, Instant now)
    {
        _host.Routes.RemoveOnLink(prefix);
        Raise(AutoconfChangeKind.PrefixRemoved, prefix.Address.V6, now);
    }

    /// <summary>
    /// RFC 8106 §5.3.1: each address is added or its lifetime refreshed; a zero lifetime removes it; a full list
    /// gives up the entry that would expire first.
    /// </summary>
    private void OnDnsServers(NdpDnsServers option, Instant now)
    {
        for (int i = 0; i < option.Count; i++)
        {
            var server = option[i];
            if (server.IsMulticast || server.IsUnspecified || server.IsLoopback)
            {
                Reject(RejectReason.BadAddress);
                continue;
            }
            if (option.Lifetime == 0)
            {
                if (_dns.Remove(server)) Raise(AutoconfChangeKind.DnsServerRemoved, server, now);
                continue;
            }
            switch (_dns.Set(server, Lifetime.Expiry(now, option.Lifetime), out var replaced, replaceSoonest: true))
            {
                case SetOutcome.Added:
                    Raise(AutoconfChangeKind.DnsServerAdded, server, now);
                    break;
                case SetOutcome.Replaced:
                    Statistics.DnsServersReplaced++;
                    Raise(AutoconfChangeKind.DnsServerRemoved, replaced, now);
                    Raise(AutoconfChangeKind.DnsServerAdded, server, now);
                    break;
            }
        }
    }

    /// <summary>
    /// RFC 4861 §6.3.6: the first router in the list whose neighbour entry says it is (probably) reachable, that
    /// is any state but INCOMPLETE; when none is, the first one (routers that fail move to the end, round-robin).
    /// </summary>
    private void SelectRouter()
    {
        Ipv6Address? chosen = null;
        for (int i = 0; i < _routers.Count; i++)
        {
            var router = _routers[i].Key;
            if (_host.Ndp.Cache.TryGet(router, out var state, out _) && state != NeighborState.Incomplete)
            {
                chosen = router;
                break;
            }
            chosen ??= router;
        }
        _host.Routes.LearnedGatewayV6 = chosen;
    }

    /// <summary>Neighbour discovery gave up on <paramref name="neighbor"/>: a router that did not answer goes last.</summary>
    internal void OnNeighborUnreachable(Ipv6Address neighbor)
    {
        if (!_routers.Contains(neighbor)) return;
        _routers.MoveToEnd(neighbor);
        SelectRouter();
        Publish();
    }

    private void ExpireRouters(Instant now)
    {
        _expiredAddresses.Clear();
        _routers.Expire(now, _expiredAddresses);
        foreach (var router in _expiredAddresses) Raise(AutoconfChangeKind.RouterRemoved, router, now);
        if (_expiredAddresses.Count > 0) SelectRouter();
    }

    private void ExpirePrefixes(Instant now)
    {
        _expiredPrefixes.Clear();
        _prefixes.Expire(now, _expiredPrefixes);
        foreach (var prefix in _expiredPrefixes) RemoveOnLink(prefix, now);
    }

    private void ExpireDnsServers(Instant now)
    {
        _expiredAddresses.Clear();
        _dns.Expire(now, _expiredAddresses);
        foreach (var server in _expiredAddresses) Raise(AutoconfChangeKind.DnsServerRemoved, server, now);
    }

    private void Reject(RejectReason reason) => _host.Reject(Layer.Ndp, reason);
}
