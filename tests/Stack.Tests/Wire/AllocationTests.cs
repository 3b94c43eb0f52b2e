using Stack.IP.Wire;
using Stack.Link.Wire;
using static Stack.Tests.Wire.Trace;

namespace Stack.Tests.Wire;

/// <summary>The hot path: parsing and writing every format allocates nothing on the heap.</summary>
public sealed class AllocationTests
{
    [Fact]
    public void Parse_and_write_allocate_nothing()
    {
        var arp = Arp();
        var v4 = Ipv4Echo(options: [0x01, 0x94, 0x04, 0x00, 0x00]);
        var v6 = Ipv6Echo();
        var chain = Concat(OptionsHeader(IpProtocol.Ipv6DestinationOptions, 0x05), OptionsHeader(IpProtocol.Udp, 0x1E), new byte[8]);
        var ra = NdpTests.RouterAdvertisement();
        var buffer = new byte[256];

        RunAll(arp, v4, v6, chain, ra, buffer); // JIT and static initialisation first
        long before = GC.GetAllocatedBytesForCurrentThread();
        long sink = 0;
        for (int i = 0; i < 100; i++)
            sink += RunAll(arp, v4, v6, chain, ra, buffer);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
        Assert.NotEqual(0, sink);
    }

    private static long RunAll(byte[] arp, byte[] v4, byte[] v6, byte[] chain, byte[] ra, byte[] buffer)
    {
        long sink = 0;
        if (ArpPacket.TryParse(arp, out var a, out _))
            sink += a.SenderIp.Value;
        ArpPacket.Write(buffer, ArpOperation.Reply, MacA, HostA, MacB, HostB);

        if (Ipv4Header.TryParse(v4, out var ip, out _) && Icmpv4Message.TryParse(ip.Payload, out var icmp, out _))
            sink += Ipv4Repr.From(ip).PayloadLength + icmp.Identifier;
        int h = new Ipv4Repr(HostA, HostB, IpProtocol.Icmp, 16).Write(buffer, v4.AsSpan(20, 4));
        sink += Icmpv4Message.WriteEcho(buffer.AsSpan(h), Icmpv4Type.EchoReply, 1, 2, v4.AsSpan(32, 8));

        if (Ipv6Header.TryParse(v6, out var ip6, out _)
            && Icmpv6Message.TryParse(ip6.Payload, ip6.Source, ip6.Destination, out var icmp6, out _))
            sink += icmp6.SequenceNumber + ip6.PayloadLength;
        sink += new Ipv6Repr(Host6A, Host6B, IpProtocol.Icmpv6, 16).Write(buffer);
        sink += Icmpv6Message.WriteEcho(buffer.AsSpan(40), Host6A, Host6B, Icmpv6Type.EchoReply, 1, 2, v6.AsSpan(48, 8));
        Ipv6FragmentHeader.Write(buffer, IpProtocol.Udp, 8, false, 1);

        if (Ipv6Chain.TryWalk(chain, IpProtocol.HopByHop, false, out var c, out _, out _, out _))
            sink += c.UpperOffset;

        if (NdpMessage.TryParse(ra, out var ndp, out _) && ndp.TryGetMtu(out uint mtu) && ndp.TryGetSourceLinkLayer(out var mac))
        {
            sink += mtu + (long)mac.Value;
            foreach (var p in ndp.Prefixes)
                sink += p.PrefixLength;
        }
        sink += NdpWriter.WriteNeighborSolicitation(buffer, Host6B, MacA);
        Icmpv6Message.FillChecksum(buffer.AsSpan(0, 32), Host6A, Host6B);
        sink += NdpWriter.WriteNeighborAdvertisement(buffer, Host6B, false, true, true, MacA);
        sink += NdpWriter.WriteRouterSolicitation(buffer, null);
        return sink;
    }
}
