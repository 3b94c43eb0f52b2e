using Stack.IP;
using Stack.IP.Autoconf;
using Stack.IP.Wire;
using Stack.Link.Diagnostics;
using Stack.Link.Wire;
using Stack.Tests.IP;
using static Stack.Tests.IP.Autoconf.RouterFrames;

namespace Stack.Tests.IP.Autoconf;

/// <summary>Malformed advertisements, redirects for both families, and a flood of advertisements.</summary>
public sealed class RouterInputTests
{
    private static readonly Ipv6Address OffLink = Ipv6Address.Parse("2001:db8:77::5");

    private static HostHarness Harness() => new(configure: o => o with { Autoconf = new AutoconfOptions() });

    private static void AssertNothingLearned(HostHarness h)
    {
        var a = h.Host.Autoconf!;
        Assert.Empty(a.Routers);
        Assert.Empty(a.Prefixes);
        Assert.Empty(a.Addresses);
        Assert.Equal(0, a.Statistics.RouterAdvertisementsAccepted);
    }

    public static TheoryData<string, Layer, RejectReason> Malformed() => new()
    {
        { "hop limit 254", Layer.Ndp, RejectReason.HopLimit },
        { "global source", Layer.Ndp, RejectReason.BadAddress },
        { "prefix option of 3 units", Layer.Ndp, RejectReason.BadOption },
        { "RDNSS option of 2 units", Layer.Ndp, RejectReason.BadOption },
        { "MTU option of 2 units", Layer.Ndp, RejectReason.BadOption },
        { "zero-length option", Layer.Ndp, RejectReason.BadOption },
        { "code 1", Layer.Ndp, RejectReason.BadField },
        { "truncated", Layer.Ndp, RejectReason.Truncated },
        { "bad checksum", Layer.Icmpv6, RejectReason.BadChecksum },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public void A_malformed_advertisement_is_counted_and_nothing_of_it_applied(string what, Layer layer, RejectReason reason)
    {
        var h = Harness();
        var ra = new Ra { Dns = (600, [Ipv6Address.Parse("2001:db8::53")]), Mtu = 1400 };
        var frame = what switch
        {
            "hop limit 254" => Frame(ra with { HopLimit = 254 }),
            "global source" => Frame(ra with { Source = Ipv6Address.Parse("2001:db8::1") }),
            "prefix option of 3 units" => Frame(ra with { Extra = [3, 3, 64, 0xC0, .. new byte[20]] }),
            "RDNSS option of 2 units" => Frame(ra with { Extra = [25, 2, 0, 0, 0, 0, 1, 0, .. new byte[8]] }),
            "MTU option of 2 units" => Frame(ra with { Extra = [5, 2, 0, 0, 0, 0, 5, 0, .. new byte[8]] }),
            "zero-length option" => Frame(ra with { Extra = [7, 0, 0, 0, 0, 0, 0, 0] }),
            "code 1" => Resum(Frame(ra), f => f[14 + 40 + 1] = 1),
            "truncated" => Frame(new Ra { SourceLinkLayer = false, Prefixes = [] })[..(14 + 40 + 12)],
            "bad checksum" => Mutate(Frame(ra), f => f[14 + 40 + 2] ^= 0xFF),
            _ => throw new ArgumentOutOfRangeException(nameof(what)),
        };
        if (what == "truncated") frame = Refit(frame);
        h.Inject(frame);
        Assert.Equal(1, h.Host.Rejects[layer, reason]);
        AssertNothingLearned(h);
        Assert.Empty(h.Host.Autoconf!.DnsServers);
        Assert.Equal(1500, h.Host.Ipv6Mtu);
    }

    [Fact]
    public void Bad_values_lose_their_option_and_keep_the_rest()
    {
        var h = Harness();
        h.Inject(Frame(new Ra
        {
            Mtu = 1000, // below 1280
            Prefixes =
            [
                new NdpPrefixInformation(Ipv6Address.Parse("fe80::"), 64, true, true, 600, 600), // link-local
                new NdpPrefixInformation(Ipv6Address.Parse("2001:db8:5::"), 64, true, true, 600, 700), // preferred > valid
                new NdpPrefixInformation(Ipv6Address.Parse("2001:db8:6::"), 48, false, true, 600, 600), // not a /64
                Slaac(Prefix),
            ],
        }));
        Assert.Equal(1, h.Host.Rejects[Layer.Ndp, RejectReason.BadAddress]);
        Assert.Equal(3, h.Host.Rejects[Layer.Ndp, RejectReason.BadField]);
        Assert.Equal(1500, h.Host.Ipv6Mtu);
        Assert.Equal(Prefix, Assert.Single(h.Host.Autoconf!.Prefixes).Prefix.Address.V6);
        Assert.Single(h.Host.Autoconf!.Addresses);
        Assert.Single(h.Host.Autoconf!.Routers);
    }

    /// <summary>
    /// Like THC-IPv6's flood_router26: advertisements from random link-local routers, each with many random /64
    /// prefixes (seeded). The lists stay at their caps, the neighbour cache at its capacity, and the host keeps
    /// answering pings.
    /// </summary>
    [Fact]
    public void A_flood_of_advertisements_with_random_routers_and_prefixes_leaves_the_lists_capped()
    {
        var h = Harness();
        var random = new Random(26);
        for (int i = 0; i < 2000; i++)
        {
            var router = new Ipv6Address(new UInt128(0xFE80_0000_0000_0000UL, (ulong)random.NextInt64()));
            var mac = new MacAddress(0x0200_0000_0000UL | (uint)random.Next());
            var prefixes = Enumerable.Range(0, 17).Select(_ =>
                Slaac(new Ipv6Address(new UInt128(0x2001_0db8_0000_0000UL | (uint)random.Next(), 0)), valid: 0xFFFF_FFFF, preferred: 0xFFFF_FFFF)).ToArray();
            h.Inject(Frame(new Ra { Source = router, SourceMac = mac, RouterLifetime = 9000, Prefixes = prefixes,
                Dns = (0xFFFF_FFFF, [new Ipv6Address(new UInt128(0x2001_0db8_0000_0000UL, (uint)random.Next()))]) }));
            if (i % 100 == 0) h.Run(TimeSpan.FromMilliseconds(500));
        }
        h.Run(TimeSpan.FromSeconds(5));
        var a = h.Host.Autoconf!;
        Assert.Equal(2000, a.Statistics.RouterAdvertisementsAccepted);
        Assert.Equal(16, a.Routers.Count);
        Assert.Equal(16, a.Prefixes.Count);
        Assert.Equal(16, a.Addresses.Count);
        Assert.Equal(3, a.DnsServers.Count);
        Assert.Equal(2000 - 16, a.Statistics.RoutersIgnored);
        Assert.True(a.Statistics.PrefixesIgnored > 30_000);
        Assert.Equal(16, a.Statistics.AddressesAssigned);
        Assert.Equal(3 + 16, h.Host.Addresses.Count); // the link-local, the two configured, and the SLAAC ones
        Assert.InRange(h.Host.Ndp.Cache.Count, 1, 1024);
        h.Drain();

        var ping = new byte[8 + 16];
        Icmpv6Message.WriteEcho(ping, HostHarness.Peer6, HostHarness.Our6, Icmpv6Type.EchoRequest, 1, 1, new byte[16]);
        var packet = new byte[40 + ping.Length];
        ping.CopyTo(packet, 40);
        new Ipv6Repr(HostHarness.Peer6, HostHarness.Our6, IpProtocol.Icmpv6, ping.Length, 64).Write(packet);
        h.Inject(HostHarness.Ethernet(HostHarness.PeerMac, HostHarness.OurMac, EtherType.Ipv6, packet));
        Assert.True(h.Drain().Count > 0, "the host should still answer (or resolve the peer to answer)");
    }

    [Fact]
    public void An_icmpv6_redirect_from_the_current_router_installs_a_host_route()
    {
        var h = Harness();
        h.Inject(Frame(new Ra { Prefixes = [] }));
        var better = Ipv6Address.Parse("fe80::7");
        var betterMac = new MacAddress(0x0200_0000_0007UL);

        h.Inject(Redirect(OtherRouter, better, OffLink)); // not our router for it
        Assert.Equal(1, h.Host.Rejects[Layer.Ndp, RejectReason.NotFirstHop]);
        h.Inject(Redirect(Router, better, OffLink, hopLimit: 64));
        Assert.Equal(1, h.Host.Rejects[Layer.Ndp, RejectReason.HopLimit]);
        h.Inject(Redirect(Router, Ipv6Address.Parse("2001:db8:9::1"), OffLink)); // target neither link-local nor the destination
        Assert.Equal(1, h.Host.Rejects[Layer.Ndp, RejectReason.BadAddress]);
        Assert.True(h.Host.Routes.TryGetNextHop(OffLink, out var nextHop));
        Assert.Equal(Router, nextHop.V6);

        h.Inject(Redirect(Router, better, OffLink, targetMac: betterMac));
        Assert.True(h.Host.Routes.TryGetNextHop(OffLink, out nextHop));
        Assert.Equal(better, nextHop.V6);
        Assert.True(h.Host.Ndp.Cache.TryGet(better, out _, out var mac));
        Assert.Equal(betterMac, mac);

        // The destination is a neighbour: the target is the destination itself.
        var near = Ipv6Address.Parse("2001:db8:77::6");
        h.Inject(Redirect(Router, near, near));
        Assert.True(h.Host.Routes.TryGetNextHop(near, out nextHop));
        Assert.Equal(near, nextHop.V6);
        Assert.Equal(2, h.Host.Statistics.RedirectsAccepted);

        h.Run(TimeSpan.FromSeconds(301)); // Linux's ip_rt_gc_timeout
        Assert.True(h.Host.Routes.TryGetNextHop(OffLink, out nextHop));
        Assert.Equal(Router, nextHop.V6);
    }

    [Fact]
    public void An_icmp_redirect_is_honoured_only_from_the_gateway_for_that_destination()
    {
        var gateway = Ipv4Address.Parse("192.0.2.1");
        var h = new HostHarness(configure: o => o with { GatewayV4 = gateway });
        var destination = Ipv4Address.Parse("198.51.100.7");
        var better = Ipv4Address.Parse("192.0.2.254");

        h.Inject(Redirect4(Ipv4Address.Parse("192.0.2.9"), better, destination));
        Assert.Equal(1, h.Host.Rejects[Layer.Icmpv4, RejectReason.NotFirstHop]);
        h.Inject(Redirect4(gateway, Ipv4Address.Parse("203.0.113.1"), destination)); // not on our subnet
        Assert.Equal(1, h.Host.Rejects[Layer.Icmpv4, RejectReason.BadAddress]);
        h.Inject(Redirect4(gateway, better, destination, quotedSource: Ipv4Address.Parse("192.0.2.50"))); // not our datagram
        Assert.Equal(1, h.Host.Rejects[Layer.Icmpv4, RejectReason.NotForUs]);
        Assert.True(h.Host.Routes.TryGetNextHop(destination, out var nextHop));
        Assert.Equal(gateway, nextHop.V4);

        h.Inject(Redirect4(gateway, better, destination, code: 0)); // a network redirect, taken as a host one
        Assert.True(h.Host.Routes.TryGetNextHop(destination, out nextHop));
        Assert.Equal(better, nextHop.V4);
        Assert.True(h.Host.Routes.TryGetNextHop(Ipv4Address.Parse("198.51.100.8"), out nextHop));
        Assert.Equal(gateway, nextHop.V4);

        // Now the better gateway is the first hop: the old one can no longer redirect that destination.
        h.Inject(Redirect4(gateway, Ipv4Address.Parse("192.0.2.253"), destination));
        Assert.Equal(2, h.Host.Rejects[Layer.Icmpv4, RejectReason.NotFirstHop]);
    }

    [Fact]
    public void Redirects_are_ignored_when_the_host_does_not_accept_them()
    {
        var gateway = Ipv4Address.Parse("192.0.2.1");
        var h = new HostHarness(configure: o => o with { GatewayV4 = gateway, AcceptRedirects = false });
        var destination = Ipv4Address.Parse("198.51.100.7");
        h.Inject(Redirect4(gateway, Ipv4Address.Parse("192.0.2.254"), destination));
        Assert.True(h.Host.Routes.TryGetNextHop(destination, out var nextHop));
        Assert.Equal(gateway, nextHop.V4);
    }

    /// <summary>An ICMP redirect from <paramref name="from"/> quoting a UDP datagram of ours to <paramref name="destination"/>.</summary>
    private static byte[] Redirect4(Ipv4Address from, Ipv4Address gateway, Ipv4Address destination, byte code = 1,
        Ipv4Address? quotedSource = null)
    {
        var quoted = new byte[20 + 8];
        new Ipv4Repr(quotedSource ?? HostHarness.Our4, destination, IpProtocol.Udp, 8, 64, 1).Write(quoted);
        var icmp = new byte[8 + quoted.Length];
        Icmpv4Message.WriteError(icmp, Icmpv4Type.Redirect, code, gateway.Value, quoted);
        var packet = new byte[20 + icmp.Length];
        icmp.CopyTo(packet, 20);
        new Ipv4Repr(from, HostHarness.Our4, IpProtocol.Icmp, icmp.Length, 64, 2).Write(packet);
        return HostHarness.Ethernet(HostHarness.PeerMac, HostHarness.OurMac, EtherType.Ipv4, packet);
    }

    private static byte[] Mutate(byte[] frame, Action<byte[]> change)
    {
        change(frame);
        return frame;
    }

    /// <summary>Changes the ICMPv6 message and fixes its checksum, so only the change is wrong.</summary>
    private static byte[] Resum(byte[] frame, Action<byte[]> change)
    {
        change(frame);
        var ip = frame.AsSpan(14);
        Icmpv6Message.FillChecksum(ip[40..], Ipv6Address.Read(ip[8..]), Ipv6Address.Read(ip[24..]));
        return frame;
    }

    /// <summary>Rewrites the payload length and checksum of a frame cut short.</summary>
    private static byte[] Refit(byte[] frame)
    {
        var ip = frame.AsSpan(14);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(ip[4..], (ushort)(ip.Length - 40));
        Icmpv6Message.FillChecksum(ip[40..], Ipv6Address.Read(ip[8..]), Ipv6Address.Read(ip[24..]));
        return frame;
    }
}
