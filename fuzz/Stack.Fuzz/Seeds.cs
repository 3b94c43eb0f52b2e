using System.Text;
using Stack.IP.Wire;
using Stack.Link.Wire;
using Stack.Tcp.Wire;
using Stack.Udp.Wire;
using static Stack.Fuzz.FuzzHost;

namespace Stack.Fuzz;

/// <summary>
/// The hand-made seed inputs of each target (written by <c>Stack.Fuzz seeds DIR</c> and checked in under
/// tests/Stack.Tests/Fuzz/corpus): valid messages of each kind, so that afl-fuzz starts past the parsers' first
/// checks. The <c>script</c> target also starts from the example scripts in tests/Stack.Tests/Scripts/corpus.
/// </summary>
public static class Seeds
{
    private static readonly Ipv6Address PeerLinkLocal = Ipv6Address.LinkLocalFromMac(PeerMac);
    private static readonly Ipv6Address AllNodes = Ipv6Address.Parse("ff02::1");

    public static void WriteAll(string directory)
    {
        foreach (var (target, seeds) in new[] { ("frame", Frame()), ("wire", Wire()), ("script", Script()) })
        {
            string dir = Path.Combine(directory, target);
            Directory.CreateDirectory(dir);
            foreach (var (name, bytes) in seeds)
                File.WriteAllBytes(Path.Combine(dir, $"seed-{name}"), bytes);
        }
    }

    public static IEnumerable<(string Name, byte[] Input)> Frame()
    {
        var h = new FuzzHost();
        uint seq = PeerIsn + 1, ack = h.OurIsn + 1;
        var ts = Timestamps(102, h.OurTsVal);
        yield return ("arp-request", FrameTarget.Join([Arp(ArpOperation.Request, MacAddress.Zero)]));
        yield return ("echo", FrameTarget.Join([EchoRequest(1, 1)]));
        yield return ("syn", FrameTarget.Join([TcpSegment(TcpFlags.Syn, 5000, 0, SynOptions, sourcePort: 40001)]));
        yield return ("data", FrameTarget.Join([TcpSegment(TcpFlags.Ack | TcpFlags.Psh, seq, ack, ts, "hello"u8.ToArray())]));
        yield return ("data-out-of-order-fin", FrameTarget.Join([
            TcpSegment(TcpFlags.Ack, seq + 100, ack, ts, new byte[100]),
            TcpSegment(TcpFlags.Ack | TcpFlags.Fin, seq, ack, ts, new byte[100])]));
        yield return ("rst", FrameTarget.Join([TcpSegment(TcpFlags.Rst, seq, 0)]));
        var sack = Timestamps(103, h.OurTsVal);
        sack.AddSackBlock(ack + 1000, ack + 2000);
        yield return ("ack-sack", FrameTarget.Join([TcpSegment(TcpFlags.Ack, seq, ack, sack)]));
        yield return ("udp", FrameTarget.Join([Udp4(UdpPort, "ping"u8), Udp4(9, "closed"u8)]));
        yield return ("ipv4-fragments", FrameTarget.Join(Fragments()));
        yield return ("icmp-frag-needed", FrameTarget.Join([FragmentationNeeded(h, seq, ack)]));
        yield return ("ipv6-echo", FrameTarget.Join([Echo6()]));
        yield return ("ipv6-ns-na-ra", FrameTarget.Join([NeighborSolicitation(), NeighborAdvertisement(), RouterAdvertisement()]));
        yield return ("ipv6-chain-udp", FrameTarget.Join([Ipv6Chain()]));
    }

    public static IEnumerable<(string Name, byte[] Input)> Wire()
    {
        byte[] echo = EchoRequest(1, 1);
        yield return ("ethernet", WireTarget.Input("ethernet", echo));
        yield return ("arp", WireTarget.Input("arp", Arp(ArpOperation.Request, MacAddress.Zero).AsSpan(EthernetFrame.HeaderLength)));
        var withOptions = new byte[28];
        new Ipv4Repr(Peer4, Our4, IpProtocol.Udp, 4).Write(withOptions, [0x01, 0x94, 0x04, 0x00, 0x00]);
        yield return ("ipv4", WireTarget.Input("ipv4", withOptions));
        yield return ("ipv6", WireTarget.Input("ipv6", Ipv6Chain().AsSpan(EthernetFrame.HeaderLength)));
        yield return ("ipv6-chain", WireTarget.Input("ipv6-chain", [0, 0, .. ChainBytes()]));
        yield return ("ipv6-fragment", WireTarget.Input("ipv6-fragment", [17, 0, 0x05, 0xA9, 1, 2, 3, 4]));
        yield return ("icmpv4-echo", WireTarget.Input("icmpv4", echo.AsSpan(34)));
        var h = new FuzzHost();
        yield return ("icmpv4-unreachable", WireTarget.Input("icmpv4", FragmentationNeeded(h, PeerIsn + 1, h.OurIsn + 1).AsSpan(34)));
        yield return ("icmpv6-echo", WireTarget.Input("icmpv6", Echo6().AsSpan(54)));
        yield return ("icmpv6-ra", WireTarget.Input("icmpv6", RouterAdvertisement().AsSpan(54)));
        var rs = new byte[16];
        yield return ("ndp-rs", WireTarget.Input("ndp", rs.AsSpan(0, NdpWriter.WriteRouterSolicitation(rs, PeerMac))));
        yield return ("ndp-rs-bare", WireTarget.Input("ndp", rs.AsSpan(0, NdpWriter.WriteRouterSolicitation(rs, null))));
        yield return ("ndp-ns", WireTarget.Input("ndp", NeighborSolicitation().AsSpan(54)));
        yield return ("ndp-na", WireTarget.Input("ndp", NeighborAdvertisement().AsSpan(54)));
        yield return ("ndp-ra", WireTarget.Input("ndp", RouterAdvertisement().AsSpan(54)));
        var sack = SynOptions;
        sack.AddSackBlock(1, 2);
        yield return ("tcp", WireTarget.Input("tcp", TcpSegment(TcpFlags.Syn, 1, 0, sack, [1, 2, 3]).AsSpan(34)));
        yield return ("udp", WireTarget.Input("udp", Udp4(UdpPort, "ping"u8).AsSpan(34)));
        var options = new byte[40];
        yield return ("tcp-options", WireTarget.Input("tcp-options", options.AsSpan(0, sack.Write(options))));
    }

    public static IEnumerable<(string Name, byte[] Input)> Script()
    {
        // No .pkt: dotnet test runs every *.pkt under tests/ as a script that must pass, and this one is only a
        // parser seed (its expectations do not match the stack).
        yield return ("handshake", Encoding.UTF8.GetBytes("""
            --tolerance_usecs=10000
            0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
            +0 setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0
            +0 bind(3, ..., ...) = 0
            +0 listen(3, 1) = 0
            +0 < S 0:0(0) win 32792 <mss 1000,sackOK,TS val 100 ecr 0,nop,wscale 7>
            +0 > S. 0:0(0) ack 1 <...>
            +.1 < . 1:1(0) ack 1 win 257
            +0 accept(3, ..., ...) = 4
            +0 write(4, ..., 1000) = 1000
            +0 > P. 1:1001(1000) ack 1
            +0 < . 1:1(0) ack 1001 win 257 <sack 1:2,nop,nop>
            """));
    }

    private static byte[] Udp4(ushort port, ReadOnlySpan<byte> data)
    {
        var udp = new byte[UdpHeader.HeaderLength + data.Length];
        UdpWriter.Write(udp, 5353, port, data, InternetChecksum.PseudoHeader(Peer4, Our4, 17, udp.Length));
        return Ipv4(IpProtocol.Udp, udp);
    }

    private static IEnumerable<byte[]> Fragments()
    {
        var udp = new byte[UdpHeader.HeaderLength + 40];
        UdpWriter.Write(udp, 5353, UdpPort, new byte[40], InternetChecksum.PseudoHeader(Peer4, Our4, 17, udp.Length));
        for (int offset = 0; offset < udp.Length; offset += 24)
        {
            var part = udp.AsSpan(offset, Math.Min(24, udp.Length - offset));
            var ip = new byte[Ipv4Header.MinLength + part.Length];
            new Ipv4Repr(Peer4, Our4, IpProtocol.Udp, part.Length, Identification: 77,
                MoreFragments: offset + 24 < udp.Length, FragmentOffset: offset).Write(ip);
            part.CopyTo(ip.AsSpan(Ipv4Header.MinLength));
            yield return FuzzHost.Frame(EtherType.Ipv4, ip);
        }
    }

    /// <summary>RFC 1191: a router says our segment on the established connection needs an MTU of 1280.</summary>
    private static byte[] FragmentationNeeded(FuzzHost h, uint peerSeq, uint ourSeq)
    {
        var ours = new byte[Ipv4Header.MinLength + 20];
        new Ipv4Repr(Our4, Peer4, IpProtocol.Tcp, 20).Write(ours);
        new TcpRepr(OurPort, PeerPort, ourSeq, peerSeq, TcpFlags.Ack, 1000).Write(ours.AsSpan(20), [],
            InternetChecksum.PseudoHeader(Our4, Peer4, 6, 20));
        var icmp = new byte[Icmpv4Message.HeaderLength + ours.Length];
        Icmpv4Message.WriteError(icmp, Icmpv4Type.DestinationUnreachable, 4, 1280, ours);
        GC.KeepAlive(h);
        return Ipv4(IpProtocol.Icmp, icmp, Ipv4Address.Parse("192.0.2.254"));
    }

    private static byte[] Echo6()
    {
        var icmp = new byte[12];
        Icmpv6Message.WriteEcho(icmp, Peer6, Our6, Icmpv6Type.EchoRequest, 9, 1, [1, 2, 3, 4]);
        return Ipv6(IpProtocol.Icmpv6, icmp, Peer6, Our6);
    }

    private static byte[] NeighborSolicitation()
    {
        var icmp = new byte[32];
        NdpWriter.WriteNeighborSolicitation(icmp, Our6, PeerMac);
        var solicited = Ipv6Address.Parse("ff02::1:ff00:2");
        Icmpv6Message.FillChecksum(icmp, Peer6, solicited);
        return Ipv6(IpProtocol.Icmpv6, icmp, Peer6, solicited, new MacAddress(0x3333_FF00_0002UL));
    }

    private static byte[] NeighborAdvertisement()
    {
        var icmp = new byte[32];
        NdpWriter.WriteNeighborAdvertisement(icmp, Peer6, router: true, solicited: false, @override: true, PeerMac);
        Icmpv6Message.FillChecksum(icmp, Peer6, AllNodes);
        return Ipv6(IpProtocol.Icmpv6, icmp, Peer6, AllNodes, new MacAddress(0x3333_0000_0001UL));
    }

    /// <summary>RFC 4861 §4.2: a router with a source link-layer, an MTU and a prefix option (SLAAC for 2001:db8:1::/64).</summary>
    private static byte[] RouterAdvertisement()
    {
        var icmp = new byte[16 + 8 + 8 + 32];
        icmp[0] = NdpMessage.RouterAdvertisement;
        icmp[4] = 64;
        icmp[6] = 0x07; icmp[7] = 0x08; // router lifetime 1800 s
        icmp[16] = NdpOption.SourceLinkLayerAddress; icmp[17] = 1;
        PeerMac.Write(icmp.AsSpan(18));
        icmp[24] = NdpOption.Mtu; icmp[25] = 1;
        icmp[30] = 0x05; icmp[31] = 0xDC; // 1500
        icmp[32] = NdpOption.PrefixInformation; icmp[33] = 4; icmp[34] = 64; icmp[35] = 0xC0;
        icmp[38] = 0x10; icmp[42] = 0x08; // valid 1 Mi s, preferred 512 Ki s (roughly)
        Ipv6Address.Parse("2001:db8:1::").Write(icmp.AsSpan(48));
        Icmpv6Message.FillChecksum(icmp, PeerLinkLocal, AllNodes);
        return Ipv6(IpProtocol.Icmpv6, icmp, PeerLinkLocal, AllNodes, new MacAddress(0x3333_0000_0001UL));
    }

    /// <summary>Hop-by-hop (PadN), destination options (Pad1s), then a UDP datagram to port 7.</summary>
    private static byte[] Ipv6Chain()
    {
        byte[] chain = ChainBytes();
        var udp = chain.AsSpan(16);
        UdpWriter.WriteHeaderInPlace(udp, 5353, UdpPort, InternetChecksum.PseudoHeader(Peer6, Our6, 17, udp.Length));
        return Ipv6(IpProtocol.HopByHop, chain, Peer6, Our6);
    }

    private static byte[] ChainBytes() =>
    [
        (byte)IpProtocol.Ipv6DestinationOptions, 0, 1, 4, 0, 0, 0, 0,
        (byte)IpProtocol.Udp, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 0, 0, 0, 0, 0, 0, (byte)'h', (byte)'i',
    ];
}
