using System.Net.Sockets;
using Stack.IP;
using Stack.IP.Wire;
using Stack.Link.Wire;
using Stack.Tests.IP;
using Stack.Udp;
using Stack.Udp.Wire;
using static Stack.Tests.IP.HostHarness;

namespace Stack.Tests.Udp;

/// <summary>
/// A <see cref="HostHarness"/> with a <see cref="UdpLayer"/> on it: datagrams from the peer (192.0.2.1,
/// 2001:db8::1) in, frames out, no threads and no clock.
/// </summary>
internal sealed class UdpHarness
{
    /// <param name="membership">MLD and IGMP; silent unless given (see <see cref="HostHarness"/>).</param>
    public UdpHarness(Stack.IP.Multicast.MembershipOptions? membership = null)
    {
        H = new HostHarness(membership: membership);
        Udp = UdpLayer.Attach(H.Host, new Random(7));
    }

    public HostHarness H { get; }
    public UdpLayer Udp { get; }

    public static IpAddress Our(bool v6) => v6 ? Our6 : Our4;
    public static IpAddress Peer(bool v6) => v6 ? Peer6 : Peer4;
    public static IpAddress Any(bool v6) => v6 ? IpAddress.AnyV6 : IpAddress.AnyV4;
    public static AddressFamily Family(bool v6) => v6 ? AddressFamily.InterNetworkV6 : AddressFamily.InterNetwork;

    /// <summary>An endpoint bound to <paramref name="address"/>:<paramref name="port"/>, asserting the bind worked.</summary>
    public UdpEndpoint Bound(IpAddress address, ushort port, bool reuse = false)
    {
        var e = Udp.Open(address.Family);
        e.ReuseAddress = reuse;
        Assert.Equal(SocketError.Success, Udp.Bind(e, address, port));
        return e;
    }

    /// <summary>The peer's datagram as an Ethernet frame; <paramref name="zeroChecksum"/> sends none.</summary>
    public static byte[] Datagram(IpAddress src, IpAddress dst, ushort sport, ushort dport, ReadOnlySpan<byte> payload,
        bool zeroChecksum = false, bool corrupt = false, MacAddress? toMac = null)
    {
        int udpLength = UdpHeader.HeaderLength + payload.Length;
        var pseudo = src.IsIpv6
            ? InternetChecksum.PseudoHeader(src.V6, dst.V6, 17, udpLength)
            : InternetChecksum.PseudoHeader(src.V4, dst.V4, 17, udpLength);
        int ipHeader = src.IsIpv6 ? 40 : 20;
        var ip = new byte[ipHeader + udpLength];
        UdpWriter.Write(ip.AsSpan(ipHeader), sport, dport, payload, pseudo);
        if (zeroChecksum) ip[ipHeader + 6] = ip[ipHeader + 7] = 0;
        if (corrupt) ip[^1] ^= 0x55;
        if (src.IsIpv6) new Ipv6Repr(src.V6, dst.V6, IpProtocol.Udp, udpLength, 64).Write(ip);
        else new Ipv4Repr(src.V4, dst.V4, IpProtocol.Udp, udpLength, 64, 42).Write(ip);
        var mac = toMac ?? (dst.IsMulticast ? (dst.IsIpv6 ? MacAddress.ForIpv6Multicast(dst.V6) : MacAddress.ForIpv4Multicast(dst.V4)) : OurMac);
        return Ethernet(PeerMac, mac, src.IsIpv6 ? EtherType.Ipv6 : EtherType.Ipv4, ip);
    }

    /// <summary>An ICMP error from the peer quoting <paramref name="ipPacket"/> (a packet we sent).</summary>
    public static byte[] IcmpError(bool v6, ReadOnlySpan<byte> ipPacket, byte code)
    {
        var icmp = new byte[8 + ipPacket.Length];
        if (v6)
        {
            int n = Icmpv6Message.WriteError(icmp, Peer6, Our6, Icmpv6Type.DestinationUnreachable, code, 0, ipPacket);
            var ip = new byte[40 + n];
            new Ipv6Repr(Peer6, Our6, IpProtocol.Icmpv6, n, 64).Write(ip);
            icmp.AsSpan(0, n).CopyTo(ip.AsSpan(40));
            return Ethernet(PeerMac, OurMac, EtherType.Ipv6, ip);
        }
        else
        {
            int n = Icmpv4Message.WriteError(icmp, Icmpv4Type.DestinationUnreachable, code, 0, ipPacket);
            var ip = new byte[20 + n];
            new Ipv4Repr(Peer4, Our4, IpProtocol.Icmp, n, 64, 43).Write(ip);
            icmp.AsSpan(0, n).CopyTo(ip.AsSpan(20));
            return Ethernet(PeerMac, OurMac, EtherType.Ipv4, ip);
        }
    }

    public void Inject(byte[] frame) => H.Inject(frame);

    /// <summary>Teaches the host the peer's MAC (ARP request, or neighbour solicitation), so replies leave at once.</summary>
    public void LearnPeer(bool v6)
    {
        if (v6)
        {
            var ns = new byte[32];
            int len = NdpWriter.WriteNeighborSolicitation(ns, Our6, PeerMac);
            Icmpv6Message.FillChecksum(ns.AsSpan(0, len), Peer6, Our6);
            var ip = new byte[40 + len];
            new Ipv6Repr(Peer6, Our6, IpProtocol.Icmpv6, len, 255).Write(ip);
            ns.AsSpan(0, len).CopyTo(ip.AsSpan(40));
            H.Inject(Ethernet(PeerMac, OurMac, EtherType.Ipv6, ip));
        }
        else
        {
            var arp = new byte[ArpPacket.Length];
            ArpPacket.Write(arp, ArpOperation.Request, PeerMac, Peer4, MacAddress.Zero, Our4);
            H.Inject(Ethernet(PeerMac, MacAddress.Broadcast, EtherType.Arp, arp));
        }
        H.NextRaw(); // our answer
        H.ExpectNothing();
    }

    /// <summary>The oldest queued datagram of <paramref name="e"/>: sender, and payload as text.</summary>
    public static (IpAddress From, ushort Port, string Text) Take(UdpEndpoint e)
    {
        var buffer = new byte[65536];
        Assert.True(e.TryReceive(buffer, out var d, out int n), $"expected a datagram queued on {e}");
        return (d.Source, d.SourcePort, System.Text.Encoding.ASCII.GetString(buffer, 0, n));
    }
}
