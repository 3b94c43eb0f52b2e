using PacketDotNet;
using Stack.IP.Wire;
using Stack.Link.Wire;
using static Stack.Tests.IP.HostHarness;

namespace Stack.Tests.IP;

/// <summary>When the host answers with an ICMP error, and when it must not (RFC 1122 §3.2.2, RFC 4443 §2.4).</summary>
public sealed class IcmpErrorTests
{
    private static void LearnPeers(HostHarness h)
    {
        h.Host.Arp.Cache.LearnUnsolicited(Peer4, PeerMac, h.Now);
        h.Host.Ndp.Cache.LearnUnsolicited(Peer6, PeerMac, h.Now);
    }

    private static byte[] Unknown4(Ipv4Address dst, MacAddress to)
    {
        var ip = new byte[28];
        new Ipv4Repr(Peer4, dst, (IpProtocol)253, 8, 64, 1).Write(ip);
        return Ethernet(PeerMac, to, EtherType.Ipv4, ip);
    }

    [Fact]
    public void Unknown_next_header_gets_a_parameter_problem_pointing_at_it()
    {
        var h = new HostHarness();
        LearnPeers(h);
        var ip = new byte[48];
        new Ipv6Repr(Peer6, Our6, (IpProtocol)253, 8).Write(ip);
        h.Inject(Ethernet(PeerMac, OurMac, EtherType.Ipv6, ip));

        var raw = h.NextRaw();
        Assert.True(Ipv6Header.TryParse(raw.AsSpan(14), out var reply, out _));
        Assert.True(Icmpv6Message.TryParse(reply.Payload, Our6, Peer6, out var icmp, out _));
        Assert.Equal((Icmpv6Type.ParameterProblem, Icmpv6Code.UnrecognizedNextHeader, 6u), (icmp.Type, icmp.Code, icmp.Pointer));
        Assert.Equal(ip, icmp.Body.ToArray());
    }

    [Fact]
    public void No_error_answers_a_broadcast()
    {
        var h = new HostHarness();
        LearnPeers(h);
        h.Inject(Unknown4(Ipv4Address.Parse("192.0.2.255"), MacAddress.Broadcast));
        h.Inject(Unknown4(Ipv4Address.Broadcast, MacAddress.Broadcast));
        h.ExpectNothing();
    }

    [Fact]
    public void No_error_answers_an_ICMP_error()
    {
        var h = new HostHarness();
        LearnPeers(h);
        var quoted = new byte[28];
        new Ipv4Repr(Our4, Peer4, IpProtocol.Udp, 8, 64, 1).Write(quoted);
        // A destination unreachable with a bad quote is still an error: it must not draw one back.
        var icmp = new byte[8 + 28];
        Icmpv4Message.WriteError(icmp, Icmpv4Type.DestinationUnreachable, 99, 0, quoted);
        var ip = new byte[20 + icmp.Length];
        new Ipv4Repr(Peer4, Our4, IpProtocol.Icmp, icmp.Length, 64, 2).Write(ip);
        icmp.CopyTo(ip, 20);
        h.Inject(Ethernet(PeerMac, OurMac, EtherType.Ipv4, ip));
        h.ExpectNothing();
    }

    [Fact]
    public void Errors_are_rate_limited_to_a_burst_then_a_steady_rate()
    {
        var h = new HostHarness();
        LearnPeers(h);
        for (int i = 0; i < 500; i++) h.Inject(Unknown4(Our4, OurMac));
        Assert.Equal(50, h.SentCount);
        Assert.Equal(450, h.Host.Statistics.IcmpErrorsSuppressed);
        for (int i = 0; i < 50; i++) h.Next();

        h.Advance(TimeSpan.FromMilliseconds(10)); // 1000 per second: ten more tokens
        for (int i = 0; i < 500; i++) h.Inject(Unknown4(Our4, OurMac));
        Assert.Equal(10, h.SentCount);
        Assert.Equal(IcmpV4TypeCode.UnreachableProtocol, h.Next().Extract<IcmpV4Packet>().TypeCode);
    }
}
