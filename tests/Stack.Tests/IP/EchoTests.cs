using PacketDotNet;
using Stack.IP.Wire;
using Stack.Link.Diagnostics;
using Stack.Link.Wire;
using static Stack.Tests.IP.HostHarness;
using ArpOperation = Stack.Link.Wire.ArpOperation;

namespace Stack.Tests.IP;

public sealed class EchoTests
{
    private static byte[] Ping4(Ipv4Address src, Ipv4Address dst, ushort seq, int size = 56, MacAddress? to = null,
        Action<byte[]>? mutate = null)
    {
        var icmp = new byte[Icmpv4Message.HeaderLength + size];
        Icmpv4Message.WriteEcho(icmp, Icmpv4Type.EchoRequest, 0x1234, seq, Pattern(size));
        var ip = new byte[20 + icmp.Length];
        new Ipv4Repr(src, dst, IpProtocol.Icmp, icmp.Length, 64, 99).Write(ip);
        icmp.CopyTo(ip, 20);
        mutate?.Invoke(ip);
        return Ethernet(PeerMac, to ?? OurMac, EtherType.Ipv4, ip);
    }

    private static byte[] Ping6(Ipv6Address src, Ipv6Address dst, ushort seq, int size = 56)
    {
        var icmp = new byte[Icmpv6Message.HeaderLength + size];
        Icmpv6Message.WriteEcho(icmp, src, dst, Icmpv6Type.EchoRequest, 0x4321, seq, Pattern(size));
        var ip = new byte[40 + icmp.Length];
        new Ipv6Repr(src, dst, IpProtocol.Icmpv6, icmp.Length, 64).Write(ip);
        icmp.CopyTo(ip, 40);
        return Ethernet(PeerMac, OurMac, EtherType.Ipv6, ip);
    }

    private static byte[] Pattern(int size) => Enumerable.Range(0, size).Select(i => (byte)i).ToArray();

    private static void LearnPeer4(HostHarness h)
    {
        var arp = new byte[Stack.Link.Wire.ArpPacket.Length];
        Stack.Link.Wire.ArpPacket.Write(arp, ArpOperation.Request, PeerMac, Peer4, MacAddress.Zero, Our4);
        h.Inject(Ethernet(PeerMac, MacAddress.Broadcast, EtherType.Arp, arp));
        h.Next(); // our ARP reply
    }

    [Theory]
    [InlineData(56)]
    [InlineData(1400)]
    [InlineData(1472)]
    public void Echo_request_gets_a_reply_with_the_same_identifier_sequence_and_data(int size)
    {
        var h = new HostHarness();
        LearnPeer4(h);
        h.Inject(Ping4(Peer4, Our4, seq: 7, size));

        var frame = h.Next();
        var ip = frame.Extract<IPv4Packet>();
        var icmp = frame.Extract<IcmpV4Packet>();
        Assert.Equal(Phys(PeerMac), frame.DestinationHardwareAddress);
        Assert.True(ip.ValidChecksum);
        Assert.Equal((Ip(Our4), Ip(Peer4)), (ip.SourceAddress, ip.DestinationAddress));
        Assert.Equal(IcmpV4TypeCode.EchoReply, icmp.TypeCode);
        Assert.Equal((0x1234, 7), (icmp.Id, icmp.Sequence));
        Assert.Equal(Pattern(size), icmp.Data);
        Assert.True(icmp.ValidIcmpChecksum);
    }

    [Fact]
    public void Reply_to_an_unknown_neighbour_waits_for_ARP_then_leaves()
    {
        var h = new HostHarness();
        h.Inject(Ping4(Peer4, Our4, seq: 1));

        var request = h.Next().Extract<PacketDotNet.ArpPacket>();
        Assert.Equal(Ip(Peer4), request.TargetProtocolAddress);
        h.ExpectNothing();

        var arp = new byte[Stack.Link.Wire.ArpPacket.Length];
        Stack.Link.Wire.ArpPacket.Write(arp, ArpOperation.Reply, PeerMac, Peer4, OurMac, Our4);
        h.Inject(Ethernet(PeerMac, OurMac, EtherType.Arp, arp));

        var reply = h.Next();
        Assert.Equal(Phys(PeerMac), reply.DestinationHardwareAddress);
        Assert.Equal(IcmpV4TypeCode.EchoReply, reply.Extract<IcmpV4Packet>().TypeCode);
    }

    [Fact]
    public void Broadcast_echo_is_ignored_like_Linux_does()
    {
        var h = new HostHarness();
        LearnPeer4(h);
        h.Inject(Ping4(Peer4, Ipv4Address.Parse("192.0.2.255"), 1, to: MacAddress.Broadcast));
        h.ExpectNothing();
    }

    [Fact]
    public void Echo_with_a_bad_IP_checksum_is_counted_and_dropped()
    {
        var h = new HostHarness();
        LearnPeer4(h);
        h.Inject(Ping4(Peer4, Our4, 1, mutate: ip => ip[10] ^= 0xFF));
        h.ExpectNothing();
        Assert.Equal(1, h.Host.Rejects[Layer.Ipv4, RejectReason.BadChecksum]);
    }

    [Fact]
    public void Frame_to_another_station_is_ignored()
    {
        var h = new HostHarness();
        LearnPeer4(h);
        h.Inject(Ping4(Peer4, Our4, 1, to: new MacAddress(0x0200_0000_0099UL)));
        h.ExpectNothing();
    }

    [Fact]
    public void Unknown_protocol_gets_protocol_unreachable_quoting_the_datagram()
    {
        var h = new HostHarness();
        LearnPeer4(h);
        var ip = new byte[20 + 8];
        new Ipv4Repr(Peer4, Our4, (IpProtocol)253, 8, 64, 5).Write(ip);
        h.Inject(Ethernet(PeerMac, OurMac, EtherType.Ipv4, ip));

        var icmp = h.Next().Extract<IcmpV4Packet>();
        Assert.Equal(IcmpV4TypeCode.UnreachableProtocol, icmp.TypeCode);
        Assert.True(icmp.ValidIcmpChecksum);
        Assert.Equal(ip, icmp.Data[..ip.Length]);
    }

    [Fact]
    public void IPv6_echo_resolves_the_peer_with_neighbour_discovery_then_replies()
    {
        var h = new HostHarness();
        h.Inject(Ping6(Peer6, Our6, seq: 3));

        var ns = h.Next();
        var nsIp = ns.Extract<IPv6Packet>();
        Assert.Equal(Ip(Peer6.SolicitedNodeMulticast), nsIp.DestinationAddress);
        Assert.Equal(255, nsIp.HopLimit);
        var nsIcmp = ns.Extract<IcmpV6Packet>();
        Assert.Equal(IcmpV6Type.NeighborSolicitation, nsIcmp.Type);
        h.ExpectNothing();

        var na = new byte[32];
        int len = NdpWriter.WriteNeighborAdvertisement(na, Peer6, router: false, solicited: true, @override: true, PeerMac);
        Icmpv6Message.FillChecksum(na.AsSpan(0, len), Peer6, Our6);
        var ip = new byte[40 + len];
        new Ipv6Repr(Peer6, Our6, IpProtocol.Icmpv6, len, 255).Write(ip);
        na.AsSpan(0, len).CopyTo(ip.AsSpan(40));
        h.Inject(Ethernet(PeerMac, OurMac, EtherType.Ipv6, ip));

        var reply = h.Next();
        var icmp = reply.Extract<IcmpV6Packet>();
        Assert.Equal(Phys(PeerMac), reply.DestinationHardwareAddress);
        Assert.Equal(IcmpV6Type.EchoReply, icmp.Type);
    }

    [Fact]
    public void Neighbour_solicitation_for_our_address_gets_a_solicited_advertisement()
    {
        var h = new HostHarness();
        var ns = new byte[32];
        int len = NdpWriter.WriteNeighborSolicitation(ns, Our6, PeerMac);
        Icmpv6Message.FillChecksum(ns.AsSpan(0, len), Peer6, Our6.SolicitedNodeMulticast);
        var ip = new byte[40 + len];
        new Ipv6Repr(Peer6, Our6.SolicitedNodeMulticast, IpProtocol.Icmpv6, len, 255).Write(ip);
        ns.AsSpan(0, len).CopyTo(ip.AsSpan(40));
        h.Inject(Ethernet(PeerMac, MacAddress.ForIpv6Multicast(Our6.SolicitedNodeMulticast), EtherType.Ipv6, ip));

        var raw = h.NextRaw();
        var frame = (EthernetPacket)Packet.ParsePacket(LinkLayers.Ethernet, raw);
        var reply = frame.Extract<IPv6Packet>();
        Assert.Equal(Phys(PeerMac), frame.DestinationHardwareAddress);
        Assert.Equal((Ip(Our6), Ip(Peer6)), (reply.SourceAddress, reply.DestinationAddress));
        Assert.Equal(255, reply.HopLimit);
        Assert.True(NdpMessage.TryParse(raw.AsSpan(14 + 40), out var na, out var reason), $"NA rejected: {reason}");
        Assert.Equal((136, Our6), (na.Type, na.Target));
        Assert.True(na.SolicitedFlag && na.OverrideFlag);
        Assert.True(na.TryGetTargetLinkLayer(out var tlla));
        Assert.Equal(OurMac, tlla);
    }

    [Fact]
    public void Neighbour_solicitation_with_a_forwarded_hop_limit_is_rejected()
    {
        var h = new HostHarness();
        var ns = new byte[32];
        int len = NdpWriter.WriteNeighborSolicitation(ns, Our6, PeerMac);
        Icmpv6Message.FillChecksum(ns.AsSpan(0, len), Peer6, Our6);
        var ip = new byte[40 + len];
        new Ipv6Repr(Peer6, Our6, IpProtocol.Icmpv6, len, 64).Write(ip);
        ns.AsSpan(0, len).CopyTo(ip.AsSpan(40));
        h.Inject(Ethernet(PeerMac, OurMac, EtherType.Ipv6, ip));
        h.ExpectNothing();
        Assert.Equal(1, h.Host.Rejects[Layer.Ndp, RejectReason.HopLimit]);
    }
}
