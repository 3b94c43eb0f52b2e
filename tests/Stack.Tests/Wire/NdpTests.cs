using Stack.IP.Wire;
using Stack.Link.Diagnostics;
using Stack.Link.Wire;
using static Stack.Tests.Wire.Trace;

namespace Stack.Tests.Wire;

public sealed class NdpTests
{
    private static readonly Ipv6Address LinkLocalA = Ipv6Address.LinkLocalFromMac(MacA);
    private static readonly Ipv6Address LinkLocalB = Ipv6Address.LinkLocalFromMac(MacB);

    [Fact]
    public void Who_has_fe80_b_from_fe80_a_with_source_link_layer()
    {
        var icmp = new byte[64];
        int n = NdpWriter.WriteNeighborSolicitation(icmp, LinkLocalB, MacA);
        Assert.Equal(32, n);
        Assert.Equal([0, 0], icmp[NdpWriter.ChecksumOffset..(NdpWriter.ChecksumOffset + 2)]);
        Icmpv6Message.FillChecksum(icmp.AsSpan(0, n), LinkLocalA, LinkLocalB.SolicitedNodeMulticast);
        Assert.True(Icmpv6Message.TryParse(icmp.AsSpan(0, n), LinkLocalA, LinkLocalB.SolicitedNodeMulticast,
            out var message, out _));

        Assert.True(NdpMessage.TryParse(message.Message, out var ns, out var reason), reason.ToString());
        Assert.Equal(NdpMessage.NeighborSolicitation, ns.Type);
        Assert.Equal(LinkLocalB, ns.Target);
        Assert.True(ns.TryGetSourceLinkLayer(out var mac));
        Assert.Equal(MacA, mac);
        Assert.False(ns.TryGetTargetLinkLayer(out _));
    }

    [Fact]
    public void Duplicate_address_detection_probe_has_no_option()
    {
        var icmp = new byte[64];
        int n = NdpWriter.WriteNeighborSolicitation(icmp, LinkLocalA, null);
        Assert.Equal(24, n);
        Assert.True(NdpMessage.TryParse(icmp.AsSpan(0, n), out var ns, out _));
        Assert.False(ns.TryGetSourceLinkLayer(out _));
    }

    [Fact]
    public void Solicited_override_advertisement_of_fe80_b_is_at_mac_b()
    {
        var icmp = new byte[64];
        int n = NdpWriter.WriteNeighborAdvertisement(icmp, LinkLocalB, router: false, solicited: true, @override: true, MacB);
        Assert.True(NdpMessage.TryParse(icmp.AsSpan(0, n), out var na, out _));
        Assert.Equal(NdpMessage.NeighborAdvertisement, na.Type);
        Assert.Equal(LinkLocalB, na.Target);
        Assert.Equal((false, true, true), (na.RouterFlag, na.SolicitedFlag, na.OverrideFlag));
        Assert.True(na.TryGetTargetLinkLayer(out var mac));
        Assert.Equal(MacB, mac);
    }

    [Fact]
    public void Router_solicitation_from_mac_a()
    {
        var icmp = new byte[64];
        int n = NdpWriter.WriteRouterSolicitation(icmp, MacA);
        Assert.Equal(16, n);
        Assert.True(NdpMessage.TryParse(icmp.AsSpan(0, n), out var rs, out _));
        Assert.Equal(NdpMessage.RouterSolicitation, rs.Type);
        Assert.True(rs.TryGetSourceLinkLayer(out var mac));
        Assert.Equal(MacA, mac);
    }

    [Fact]
    public void Router_advertisement_with_mtu_two_prefixes_and_source_link_layer()
    {
        var ra = RouterAdvertisement();
        Assert.True(NdpMessage.TryParse(ra, out var msg, out var reason), reason.ToString());
        Assert.Equal(NdpMessage.RouterAdvertisement, msg.Type);
        Assert.Equal(64, msg.CurHopLimit);
        Assert.True(msg.ManagedFlag);
        Assert.False(msg.OtherFlag);
        Assert.Equal(1800, msg.RouterLifetime);
        Assert.Equal(30000u, msg.ReachableTime);
        Assert.Equal(1000u, msg.RetransTimer);
        Assert.True(msg.TryGetMtu(out uint mtu));
        Assert.Equal(1500u, mtu);
        Assert.True(msg.TryGetSourceLinkLayer(out var mac));
        Assert.Equal(MacB, mac);
        var prefixes = new List<NdpPrefixInformation>();
        foreach (var p in msg.Prefixes)
            prefixes.Add(p);
        Assert.Equal(
            [
                new NdpPrefixInformation(Ipv6Address.Parse("2001:db8:1::"), 64, true, true, 86400, 14400),
                new NdpPrefixInformation(Ipv6Address.Parse("2001:db8:2::"), 48, true, false, 0xFFFFFFFF, 0),
            ],
            prefixes);
    }

    [Fact]
    public void Option_with_length_0_is_rejected()
    {
        var icmp = new byte[64];
        int n = NdpWriter.WriteNeighborSolicitation(icmp, LinkLocalB, MacA);
        icmp[25] = 0;
        Assert.False(NdpMessage.TryParse(icmp.AsSpan(0, n), out _, out var reason));
        Assert.Equal(RejectReason.BadOption, reason);
    }

    [Fact]
    public void Option_longer_than_the_message_is_rejected()
    {
        var icmp = new byte[64];
        int n = NdpWriter.WriteNeighborSolicitation(icmp, LinkLocalB, MacA);
        icmp[25] = 2;
        Assert.False(NdpMessage.TryParse(icmp.AsSpan(0, n), out _, out var reason));
        Assert.Equal(RejectReason.BadOption, reason);
    }

    [Fact]
    public void Multicast_target_is_rejected()
    {
        var icmp = new byte[64];
        int n = NdpWriter.WriteNeighborAdvertisement(icmp, Ipv6Address.AllNodes, false, false, false, null);
        Assert.False(NdpMessage.TryParse(icmp.AsSpan(0, n), out _, out var reason));
        Assert.Equal(RejectReason.BadAddress, reason);
    }

    [Fact]
    public void Non_zero_code_is_rejected()
    {
        var icmp = new byte[64];
        int n = NdpWriter.WriteRouterSolicitation(icmp, null);
        icmp[1] = 1;
        Assert.False(NdpMessage.TryParse(icmp.AsSpan(0, n), out _, out var reason));
        Assert.Equal(RejectReason.BadField, reason);
    }

    [Theory]
    [InlineData(133, 7)]
    [InlineData(134, 15)]
    [InlineData(135, 23)]
    [InlineData(136, 23)]
    public void Below_the_minimum_length_is_truncated(byte type, int length)
    {
        var icmp = new byte[length];
        icmp[0] = type;
        Assert.False(NdpMessage.TryParse(icmp, out _, out var reason));
        Assert.Equal(RejectReason.Truncated, reason);
    }

    [Fact]
    public void Other_types_are_unsupported()
    {
        var icmp = new byte[48];
        icmp[0] = 128;
        Assert.False(NdpMessage.TryParse(icmp, out _, out var reason));
        Assert.Equal(RejectReason.UnsupportedType, reason);
    }

    [Fact]
    public void Redirect_of_a_destination_to_a_link_local_router_with_its_link_layer_address()
    {
        var destination = Ipv6Address.Parse("2001:db8:7::1");
        var icmp = new byte[64];
        int n = NdpWriter.WriteRedirect(icmp, LinkLocalB, destination, MacB);
        Assert.Equal(48, n);
        Assert.True(NdpMessage.TryParse(icmp.AsSpan(0, n), out var redirect, out var reason), reason.ToString());
        Assert.Equal((NdpMessage.Redirect, LinkLocalB, destination), (redirect.Type, redirect.Target, redirect.Destination));
        Assert.True(redirect.TryGetTargetLinkLayer(out var mac));
        Assert.Equal(MacB, mac);
    }

    [Theory]
    [InlineData("2001:db8:9::1", "2001:db8:7::1")] // target neither link-local nor the destination
    [InlineData("fe80::1", "ff02::1")] // multicast destination
    [InlineData("fe80::1", "::")]
    public void Redirect_with_a_bad_target_or_destination_is_rejected(string target, string destination)
    {
        var icmp = new byte[64];
        int n = NdpWriter.WriteRedirect(icmp, Ipv6Address.Parse(target), Ipv6Address.Parse(destination), null);
        Assert.False(NdpMessage.TryParse(icmp.AsSpan(0, n), out _, out var reason));
        Assert.Equal(RejectReason.BadAddress, reason);
    }

    [Fact]
    public void Redirect_below_40_bytes_is_truncated()
    {
        var icmp = new byte[39];
        icmp[0] = NdpMessage.Redirect;
        Assert.False(NdpMessage.TryParse(icmp, out _, out var reason));
        Assert.Equal(RejectReason.Truncated, reason);
    }

    [Fact]
    public void Written_advertisement_reads_back_with_its_options()
    {
        var icmp = new byte[256];
        int n = NdpWriter.WriteRouterAdvertisement(icmp, 64, true, false, 1800, 30000, 1000);
        var prefix = new NdpPrefixInformation(Ipv6Address.Parse("2001:db8:1::"), 64, true, true, 86400, 14400);
        n += NdpWriter.WritePrefixOption(icmp.AsSpan(n), prefix);
        n += NdpWriter.WriteMtuOption(icmp.AsSpan(n), 1400);
        n += NdpWriter.WriteDnsServersOption(icmp.AsSpan(n), 600, [LinkLocalB, Ipv6Address.Parse("2001:db8::53")]);
        n += NdpWriter.WriteSourceLinkLayerOption(icmp.AsSpan(n), MacB);
        Assert.True(NdpMessage.TryParse(icmp.AsSpan(0, n), out var ra, out _));
        Assert.Equal((64, true, (ushort)1800, 30000u, 1000u), (ra.CurHopLimit, ra.ManagedFlag, ra.RouterLifetime, ra.ReachableTime, ra.RetransTimer));
        Assert.True(ra.TryGetMtu(out uint mtu));
        Assert.Equal(1400u, mtu);
        Assert.True(ra.TryGetSourceLinkLayer(out var mac));
        Assert.Equal(MacB, mac);
        var walker = new NdpOptionWalker(ra.Options);
        var kinds = new List<byte>();
        while (walker.MoveNext(out var option))
        {
            kinds.Add(NdpOption.TypeOf(option));
            if (NdpPrefixInformation.TryRead(option, out var p)) Assert.Equal(prefix, p);
            if (NdpDnsServers.TryParse(option, out var dns))
            {
                Assert.Equal((600u, 2), (dns.Lifetime, dns.Count));
                Assert.Equal(LinkLocalB, dns[0]);
                Assert.Equal("2001:db8::53", dns[1].ToString());
            }
        }
        Assert.Equal([NdpOption.PrefixInformation, NdpOption.Mtu, NdpOption.RecursiveDnsServer, NdpOption.SourceLinkLayerAddress], kinds);
    }

    [Theory]
    [InlineData(2)] // no address
    [InlineData(4)] // even: half an address
    public void Rdnss_option_of_a_bad_length_does_not_parse(int units)
    {
        var option = new byte[units * 8];
        option[0] = NdpOption.RecursiveDnsServer;
        option[1] = (byte)units;
        Assert.False(NdpDnsServers.TryParse(option, out _));
    }

    /// <summary>RFC 4861 §4.2, written out byte by byte.</summary>
    internal static byte[] RouterAdvertisement() =>
    [
        134, 0, 0, 0, // type, code, checksum
        64, 0x80, 0x07, 0x08, // cur hop limit, M, router lifetime 1800
        0x00, 0x00, 0x75, 0x30, // reachable time 30000
        0x00, 0x00, 0x03, 0xE8, // retrans timer 1000
        5, 1, 0, 0, 0x00, 0x00, 0x05, 0xDC, // MTU 1500
        3, 4, 64, 0xC0, 0x00, 0x01, 0x51, 0x80, 0x00, 0x00, 0x38, 0x40, 0, 0, 0, 0, // prefix, L A, 86400, 14400
        0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        3, 3, 48, 0x80, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0, 0, 0, 0, 0, // wrong length (3 units): skipped
        0x20, 0x01, 0x0d, 0xb8, 0x00, 0x09, 0, 0, // (what remains of that option)
        3, 4, 48, 0x80, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0, 0, 0, 0, 0, // prefix, L, infinite, 0
        0x20, 0x01, 0x0d, 0xb8, 0x00, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        1, 1, 0x02, 0x00, 0x00, 0x00, 0x00, 0x02, // source link-layer address
    ];
}
