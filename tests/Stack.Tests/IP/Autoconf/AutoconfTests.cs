using Stack.IP;
using Stack.IP.Autoconf;
using Stack.IP.Routing;
using Stack.Link.Diagnostics;
using Stack.Link.Wire;
using Stack.Tests.IP;
using static Stack.Tests.IP.Autoconf.RouterFrames;

namespace Stack.Tests.IP.Autoconf;

/// <summary>Router discovery, SLAAC, DAD and RDNSS on the sans-I/O host with a virtual clock.</summary>
public sealed class AutoconfTests
{
    private static readonly Ipv6Address OffLink = Ipv6Address.Parse("2001:db8:77::5");
    private static readonly Ipv6Address Neighbor = Ipv6Address.Parse("2001:db8:1::9");

    private static HostHarness Harness(AutoconfOptions? options = null) =>
        new(configure: o => o with { Autoconf = options ?? new AutoconfOptions() });

    private static Ipv6Autoconf Autoconf(HostHarness h) => h.Host.Autoconf!;

    /// <summary>An RA for <see cref="RouterFrames.Prefix"/>, then DAD's second: the address is assigned.</summary>
    private static Ipv6Address Configure(HostHarness h, Ra? ra = null)
    {
        h.Inject(Frame(ra ?? new Ra()));
        h.Run(TimeSpan.FromSeconds(3));
        var slaac = Assert.Single(Autoconf(h).Addresses);
        Assert.Equal(SlaacState.Preferred, slaac.State);
        return slaac.Address.Address.V6;
    }

    [Fact]
    public void Router_solicitations_start_within_a_second_and_back_off_until_an_advertisement()
    {
        var h = Harness();
        h.Run(TimeSpan.FromSeconds(1));
        var rs = Assert.Single(SentIcmpv6.All(h.Drain()));
        Assert.Equal((h.Host.LinkLocal, Ipv6Address.AllRouters, (byte)255, (byte)133, true),
            (rs.Source, rs.Destination, rs.HopLimit, rs.Type, rs.HasOption));

        h.Run(TimeSpan.FromSeconds(4.5)); // RTR_SOLICITATION_INTERVAL ± 10 %
        Assert.Single(h.Drain());
        h.Run(TimeSpan.FromSeconds(6)); // the next one comes about 8 s after the second, not 4
        Assert.Empty(h.Drain());
        h.Run(TimeSpan.FromSeconds(3.5));
        Assert.Single(h.Drain());

        h.Inject(Frame(new Ra { Prefixes = [] }));
        h.Run(TimeSpan.FromMinutes(10));
        Assert.DoesNotContain(SentIcmpv6.All(h.Drain()), s => s.Type == 133);
        Assert.Equal(3, Autoconf(h).Statistics.RouterSolicitationsSent);
    }

    [Fact]
    public void MaxRouterSolicitations_stops_at_three_as_rfc_4861_says()
    {
        var h = Harness(new AutoconfOptions { MaxRouterSolicitations = 3 });
        h.Run(TimeSpan.FromHours(1));
        Assert.Equal(3, SentIcmpv6.All(h.Drain()).Count(s => s.Type == 133));
    }

    [Fact]
    public void An_advertisement_gives_a_tentative_address_a_dad_probe_then_the_address_router_and_prefix()
    {
        var h = Harness();
        var changes = new List<AutoconfChange>();
        Autoconf(h).Changed += changes.Add;
        h.Inject(Frame(new Ra { Dns = (600, [Ipv6Address.Parse("2001:db8::53")]), Mtu = 1400, CurHopLimit = 40 }));

        var tentative = Assert.Single(Autoconf(h).Addresses);
        Assert.Equal(SlaacState.Tentative, tentative.State);
        var address = tentative.Address.Address.V6;
        Assert.True(address.IsInPrefix(Prefix, 64));
        Assert.False(h.Host.IsLocal(address)); // not before DAD

        h.Run(TimeSpan.FromSeconds(1)); // Linux's random DAD delay is under a second
        var probe = Assert.Single(SentIcmpv6.All(h.Drain()), s => s.Type == 135);
        Assert.Equal((Ipv6Address.Unspecified, address.SolicitedNodeMulticast, address, false),
            (probe.Source, probe.Destination, probe.Target, probe.HasOption));

        h.Run(TimeSpan.FromSeconds(1)); // RetransTimer with no answer
        Assert.True(h.Host.IsLocal(address));
        Assert.Equal(SlaacState.Preferred, Assert.Single(Autoconf(h).Addresses).State);
        Assert.Equal(Router, Assert.Single(Autoconf(h).Routers).Address);
        Assert.True(h.Host.Routes.TryGetNextHop(OffLink, out var nextHop));
        Assert.Equal(Router, nextHop.V6);
        Assert.Equal(address, h.Host.SelectSource(Neighbor)!.Value.V6);
        Assert.Equal(new InterfaceAddress(Prefix, 64), Assert.Single(Autoconf(h).Prefixes).Prefix);
        Assert.True(h.Host.Routes.TryGetNextHop(Neighbor, out nextHop));
        Assert.Equal(Neighbor, nextHop.V6); // on-link
        Assert.Equal("2001:db8::53", Assert.Single(Autoconf(h).DnsServers).Address.ToString());
        Assert.Equal(1400, h.Host.Ipv6Mtu);
        Assert.Equal(1400, h.Host.PathMtu(OffLink, h.Now));
        Assert.Equal(40, h.Host.Ipv6HopLimit);
        Assert.True(h.Host.Ndp.Cache.TryGet(Router, out _, out var routerMac)); // from the source link-layer option
        Assert.Equal(HostHarness.PeerMac, routerMac);
        Assert.Equal(
            [AutoconfChangeKind.RouterAdded, AutoconfChangeKind.PrefixAdded, AutoconfChangeKind.AddressTentative,
             AutoconfChangeKind.DnsServerAdded, AutoconfChangeKind.AddressAssigned],
            changes.Select(c => c.Kind));
    }

    [Fact]
    public void Reachable_time_and_retransmission_timer_reach_neighbour_discovery()
    {
        var h = Harness();
        h.Inject(Frame(new Ra { ReachableMs = 10_000, RetransMs = 250 }));
        var timings = h.Host.Ndp.Cache.Timings;
        Assert.Equal(TimeSpan.FromMilliseconds(250), timings.RetransTimer);
        Assert.InRange(timings.ReachableTime, TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(15)); // §6.3.2: 0.5–1.5 × base

        h.Inject(Frame(new Ra { RetransMs = 1 })); // Linux's floor is 100 ms
        Assert.Equal(TimeSpan.FromMilliseconds(100), h.Host.Ndp.Cache.Timings.RetransTimer);
    }

    [Fact]
    public void Stable_privacy_identifiers_are_stable_per_secret_and_prefix_and_hide_the_mac()
    {
        var secret = Enumerable.Range(1, 16).Select(i => (byte)i).ToArray();
        Ipv6Address FormedWith(byte[] s, Ipv6Address prefix)
        {
            var h = Harness(new AutoconfOptions { StableSecret = s });
            return Configure(h, new Ra { Prefixes = [Slaac(prefix)] });
        }
        var a = FormedWith(secret, Prefix);
        Assert.Equal(a, FormedWith(secret, Prefix));
        Assert.NotEqual((ulong)a.Value, (ulong)FormedWith(secret, Ipv6Address.Parse("2001:db8:2::")).Value);
        Assert.NotEqual(a, FormedWith([.. secret.Reverse()], Prefix));
        Assert.NotEqual(InterfaceIdentifier.Eui64(HostHarness.OurMac), (ulong)a.Value);
    }

    [Fact]
    public void Eui64_mode_uses_the_mac_as_the_link_local_address_does()
    {
        var h = Harness(new AutoconfOptions { InterfaceIds = InterfaceIdMode.Eui64 });
        var address = Configure(h);
        Assert.Equal((ulong)h.Host.LinkLocal.Value, (ulong)address.Value);
    }

    [Fact]
    public void Reserved_interface_identifiers_are_never_formed()
    {
        Assert.True(InterfaceIdentifier.IsReserved(0));
        Assert.True(InterfaceIdentifier.IsReserved(0x0200_5EFF_FE00_5213UL));
        Assert.True(InterfaceIdentifier.IsReserved(0xFDFF_FFFF_FFFF_FF80UL));
        Assert.False(InterfaceIdentifier.IsReserved(0x0200_5EFF_FF00_0000UL));
    }

    [Fact]
    public void An_advertisement_for_the_tentative_address_is_a_duplicate_and_a_new_identifier_is_tried()
    {
        var h = Harness();
        var changes = new List<AutoconfChange>();
        Autoconf(h).Changed += changes.Add;
        h.Inject(Frame(new Ra()));
        var first = Autoconf(h).Addresses[0].Address.Address.V6;

        h.Inject(Advertisement(first));
        Assert.Equal(1, Autoconf(h).Statistics.DuplicateAddresses);
        var second = Assert.Single(Autoconf(h).Addresses);
        Assert.NotEqual(first, second.Address.Address.V6); // RFC 7217 §6: DAD_Counter + 1
        Assert.True(second.Address.Address.V6.IsInPrefix(Prefix, 64));

        h.Run(TimeSpan.FromSeconds(3));
        Assert.False(h.Host.IsLocal(first));
        Assert.True(h.Host.IsLocal(second.Address.Address));
        Assert.Contains(new AutoconfChange(AutoconfChangeKind.AddressDuplicate, first, changes[3].At), changes);
    }

    [Fact]
    public void Another_nodes_dad_probe_for_our_tentative_address_is_a_duplicate_and_eui64_gives_up()
    {
        var h = Harness(new AutoconfOptions { InterfaceIds = InterfaceIdMode.Eui64 });
        h.Inject(Frame(new Ra()));
        var address = Autoconf(h).Addresses[0].Address.Address.V6;
        h.Inject(DadProbe(address));
        Assert.Empty(Autoconf(h).Addresses);
        h.Run(TimeSpan.FromSeconds(3));
        Assert.False(h.Host.IsLocal(address));
        Assert.Equal(0, Autoconf(h).Statistics.AddressesAssigned);
    }

    [Fact]
    public void Preferred_lifetime_deprecates_and_valid_lifetime_removes_with_the_transports_told()
    {
        var h = Harness();
        var removed = new List<Stack.IP.IpAddress>();
        h.Host.Register(Stack.IP.Wire.IpProtocol.Udp, new RemovalListener(removed));
        var address = Configure(h, new Ra { Prefixes = [Slaac(Prefix, valid: 7300, preferred: 60)], RouterLifetime = 600 });
        Assert.Equal(address, h.Host.SelectSource(Neighbor)!.Value.V6);

        h.Run(TimeSpan.FromSeconds(60));
        Assert.Equal(SlaacState.Deprecated, Autoconf(h).Addresses[0].State);
        Assert.True(h.Host.IsLocal(address)); // still there for what uses it
        Assert.Equal(HostHarness.Our6, h.Host.SelectSource(Neighbor)!.Value.V6); // RFC 6724 rule 3

        h.Run(TimeSpan.FromSeconds(600)); // the router's lifetime ends first
        Assert.Empty(Autoconf(h).Routers);
        Assert.False(h.Host.Routes.TryGetNextHop(OffLink, out _));

        h.Run(TimeSpan.FromSeconds(7300));
        Assert.Empty(Autoconf(h).Addresses);
        Assert.Empty(Autoconf(h).Prefixes);
        Assert.False(h.Host.IsLocal(address));
        Assert.Equal([address], removed.Select(a => a.V6));
    }

    [Fact]
    public void The_two_hour_rule_keeps_a_forged_advertisement_from_cutting_a_valid_lifetime()
    {
        var h = Harness();
        var address = Configure(h); // valid a day
        h.Inject(Frame(new Ra { Prefixes = [Slaac(Prefix, valid: 60, preferred: 30)] }));
        var slaac = Autoconf(h).Addresses[0];
        Assert.Equal(h.Now + TimeSpan.FromHours(2), slaac.ValidUntil); // §5.5.3(e.3): two hours, not 60 s
        Assert.Equal(h.Now + TimeSpan.FromSeconds(30), slaac.PreferredUntil); // preferred is taken as given

        h.Run(TimeSpan.FromHours(1));
        h.Inject(Frame(new Ra { Prefixes = [Slaac(Prefix, valid: 60, preferred: 30)] }));
        Assert.Equal(h.Now + TimeSpan.FromHours(1), Autoconf(h).Addresses[0].ValidUntil); // §5.5.3(e.2): ignored

        h.Inject(Frame(new Ra { Prefixes = [Slaac(Prefix, valid: 3 * 3600, preferred: 30)] }));
        Assert.Equal(h.Now + TimeSpan.FromHours(3), Autoconf(h).Addresses[0].ValidUntil); // (e.1): over two hours
        Assert.Equal(2, Autoconf(h).Statistics.ValidLifetimesHeld);
        Assert.True(h.Host.IsLocal(address));
    }

    [Fact]
    public void A_zero_router_lifetime_removes_the_router_and_the_default_route()
    {
        var h = Harness();
        h.Inject(Frame(new Ra()));
        Assert.True(h.Host.Routes.TryGetNextHop(OffLink, out _));
        h.Inject(Frame(new Ra { RouterLifetime = 0 }));
        Assert.Empty(Autoconf(h).Routers);
        Assert.False(h.Host.Routes.TryGetNextHop(OffLink, out _));
    }

    [Fact]
    public void A_configured_gateway_wins_over_a_learned_router()
    {
        var gateway = Ipv6Address.Parse("fe80::5");
        var h = new HostHarness(configure: o => o with { Autoconf = new AutoconfOptions(), GatewayV6 = gateway });
        h.Inject(Frame(new Ra()));
        Assert.True(h.Host.Routes.TryGetNextHop(OffLink, out var nextHop));
        Assert.Equal(gateway, nextHop.V6);
    }

    [Fact]
    public void Rdnss_lifetimes_expire_a_zero_lifetime_removes_and_a_full_list_replaces_the_soonest()
    {
        var h = Harness();
        Ipv6Address S(int i) => Ipv6Address.Parse($"2001:db8::53:{i}");
        h.Inject(Frame(new Ra { Prefixes = [], Dns = (100, [S(1)]) }));
        h.Inject(Frame(new Ra { Prefixes = [], Dns = (300, [S(2), S(3)]) }));
        h.Inject(Frame(new Ra { Prefixes = [], Dns = (200, [S(4)]) })); // full at 3: S(1) goes
        Assert.Equal([S(2), S(3), S(4)], Autoconf(h).DnsServers.Select(d => d.Address));
        Assert.Equal(1, Autoconf(h).Statistics.DnsServersReplaced);

        h.Inject(Frame(new Ra { Prefixes = [], Dns = (0, [S(3)]) }));
        Assert.Equal([S(2), S(4)], Autoconf(h).DnsServers.Select(d => d.Address));
        h.Run(TimeSpan.FromSeconds(250));
        Assert.Equal([S(2)], Autoconf(h).DnsServers.Select(d => d.Address));
        h.Run(TimeSpan.FromSeconds(100));
        Assert.Empty(Autoconf(h).DnsServers);
    }

    [Fact]
    public void Without_autoconfiguration_advertisements_change_nothing()
    {
        var h = new HostHarness();
        h.Inject(Frame(new Ra()));
        h.Run(TimeSpan.FromMinutes(1));
        Assert.Null(h.Host.Autoconf);
        Assert.False(h.Host.Routes.TryGetNextHop(OffLink, out _));
        h.ExpectNothing();
    }

    private sealed class RemovalListener(List<Stack.IP.IpAddress> removed) : IIpTransport
    {
        public void OnDatagram(in IpDatagram datagram, Stack.Link.Time.Instant now) { }
        public void OnIcmpError(in IcmpError error, Stack.Link.Time.Instant now) { }
        public void OnTimer(Stack.Link.Time.Instant now) { }
        public Stack.Link.Time.Instant NextDeadline => Stack.Link.Time.Instant.Never;
        public void OnAddressRemoved(Stack.IP.IpAddress address, Stack.Link.Time.Instant now) => removed.Add(address);
    }
}
