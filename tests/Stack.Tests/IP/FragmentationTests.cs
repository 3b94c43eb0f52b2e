using PacketDotNet;
using Stack.IP;
using Stack.IP.Fragments;
using Stack.IP.Wire;
using Stack.Link.Time;
using Stack.Link.Wire;
using static Stack.Tests.IP.HostHarness;
using ArpOperation = Stack.Link.Wire.ArpOperation;

namespace Stack.Tests.IP;

/// <summary>Fragments in and out of the host, both families, and the path MTU (seed section 2.11).</summary>
public sealed class FragmentationTests
{
    private const ushort Id = 0x4242;

    private static void LearnPeers(HostHarness h)
    {
        var arp = new byte[Stack.Link.Wire.ArpPacket.Length];
        Stack.Link.Wire.ArpPacket.Write(arp, ArpOperation.Request, PeerMac, Peer4, MacAddress.Zero, Our4);
        h.Inject(Ethernet(PeerMac, MacAddress.Broadcast, EtherType.Arp, arp));
        h.NextRaw();
        h.Host.Ndp.Cache.LearnUnsolicited(Peer6, PeerMac, h.Now);
    }

    private static byte[] EchoRequest4(int size)
    {
        var icmp = new byte[Icmpv4Message.HeaderLength + size];
        Icmpv4Message.WriteEcho(icmp, Icmpv4Type.EchoRequest, 7, 1, Enumerable.Range(0, size).Select(i => (byte)(i * 7)).ToArray());
        return icmp;
    }

    private static byte[] EchoRequest6(int size)
    {
        var icmp = new byte[Icmpv6Message.HeaderLength + size];
        Icmpv6Message.WriteEcho(icmp, Peer6, Our6, Icmpv6Type.EchoRequest, 7, 1, Enumerable.Range(0, size).Select(i => (byte)(i * 7)).ToArray());
        return icmp;
    }

    /// <summary>IPv4 fragments of <paramref name="payload"/> the way the kernel cuts them for a 1500-byte MTU.</summary>
    private static List<byte[]> Fragments4(byte[] payload, int maxData = 1480, ushort id = Id)
    {
        var frames = new List<byte[]>();
        for (int offset = 0; offset < payload.Length; offset += maxData)
        {
            int length = Math.Min(maxData, payload.Length - offset);
            var ip = new byte[20 + length];
            new Ipv4Repr(Peer4, Our4, IpProtocol.Icmp, length, 64, id, MoreFragments: offset + length < payload.Length,
                FragmentOffset: offset).Write(ip);
            payload.AsSpan(offset, length).CopyTo(ip.AsSpan(20));
            frames.Add(Ethernet(PeerMac, OurMac, EtherType.Ipv4, ip));
        }
        return frames;
    }

    private static List<byte[]> Fragments6(byte[] payload, int maxData = 1448, uint id = Id)
    {
        var frames = new List<byte[]>();
        for (int offset = 0; offset < payload.Length; offset += maxData)
        {
            int length = Math.Min(maxData, payload.Length - offset);
            var ip = new byte[40 + 8 + length];
            new Ipv6Repr(Peer6, Our6, IpProtocol.Ipv6Fragment, 8 + length, 64).Write(ip);
            Ipv6FragmentHeader.Write(ip.AsSpan(40), IpProtocol.Icmpv6, offset, offset + length < payload.Length, id);
            payload.AsSpan(offset, length).CopyTo(ip.AsSpan(48));
            frames.Add(Ethernet(PeerMac, OurMac, EtherType.Ipv6, ip));
        }
        return frames;
    }

    /// <summary>Collects what the host sent and reassembles it with an independent reassembler.</summary>
    private static byte[] ReassembleReply4(HostHarness h, out int fragments)
    {
        var parts = new SortedDictionary<int, byte[]>();
        fragments = 0;
        while (h.SentCount > 0)
        {
            var ip = h.Next().Extract<IPv4Packet>();
            Assert.True(ip.ValidChecksum);
            Assert.True(ip.TotalLength <= 1500);
            Assert.Equal(0, ip.FragmentOffset * 8 % 8);
            parts[ip.FragmentOffset * 8] = ip.PayloadData ?? ip.PayloadPacket.Bytes;
            fragments++;
        }
        return parts.Values.SelectMany(p => p).ToArray();
    }

    [Fact]
    public void A_4000_byte_ping_in_fragments_any_order_is_answered_in_fragments()
    {
        var h = new HostHarness();
        LearnPeers(h);
        var request = EchoRequest4(4000);
        var frames = Fragments4(request);
        frames.Reverse();
        frames.Insert(1, frames[0]); // and a duplicate
        foreach (var f in frames) h.Inject(f);

        var reply = ReassembleReply4(h, out int count);
        Assert.Equal(3, count);
        Assert.Equal(request.Length, reply.Length);
        Assert.Equal((byte)Icmpv4Type.EchoReply, reply[0]);
        Assert.Equal(request[8..], reply[8..]);
        Assert.Equal(1, h.Host.Statistics.DatagramsReassembled);
    }

    [Fact]
    public void A_4000_byte_IPv6_ping_in_fragments_is_answered_with_fragment_headers()
    {
        var h = new HostHarness();
        LearnPeers(h);
        var request = EchoRequest6(4000);
        var frames = Fragments6(request);
        (frames[0], frames[2]) = (frames[2], frames[0]);
        foreach (var f in frames) h.Inject(f);

        var data = new SortedDictionary<int, byte[]>();
        uint? id = null;
        while (h.SentCount > 0)
        {
            var raw = h.NextRaw();
            Assert.True(raw.Length <= 14 + 1500);
            Assert.True(Ipv6Header.TryParse(raw.AsSpan(14), out var ip, out _));
            Assert.Equal(IpProtocol.Ipv6Fragment, ip.NextHeader);
            Assert.True(Ipv6FragmentHeader.TryParse(ip.Payload, out var frag, out _));
            Assert.Equal(id ??= frag.Identification, frag.Identification);
            data[frag.FragmentOffset] = ip.Payload[8..].ToArray();
        }
        var reply = data.Values.SelectMany(p => p).ToArray();
        Assert.Equal(3, data.Count);
        Assert.True(Icmpv6Message.TryParse(reply, Our6, Peer6, out var icmp, out var reason), $"reply rejected: {reason}");
        Assert.Equal(Icmpv6Type.EchoReply, icmp.Type);
        Assert.Equal(request[8..], icmp.Body.ToArray());
    }

    [Fact]
    public void An_incomplete_datagram_times_out_with_time_exceeded_only_if_its_first_fragment_came()
    {
        var h = new HostHarness();
        LearnPeers(h);
        var frames = Fragments4(EchoRequest4(4000));
        h.Inject(frames[0]);
        var others = Fragments4(EchoRequest4(4000), id: Id + 1);
        h.Inject(others[1]); // no first fragment: expires silently
        h.ExpectNothing();

        h.Advance(TimeSpan.FromSeconds(31));
        var icmp = h.Next().Extract<IcmpV4Packet>();
        Assert.Equal(0x0B01, (int)icmp.TypeCode); // time exceeded, fragment reassembly time exceeded
        Assert.Equal(28, icmp.Data.Length); // the first fragment's header and 8 bytes
        h.ExpectNothing();
        Assert.Equal(2, h.Host.Reassembly4.TimedOut);
    }

    [Fact]
    public void Ten_thousand_incomplete_datagrams_stay_under_the_memory_cap_and_pings_still_work()
    {
        var h = new HostHarness();
        LearnPeers(h);
        var request = EchoRequest4(4000);
        for (int i = 0; i < 10_000; i++)
        {
            var frames = Fragments4(request, id: (ushort)i);
            h.Inject(frames[i % 2]); // never the last one
            Assert.True(h.Host.Reassembly4.BytesHeld <= ReassemblyLimits.Ipv4.MemoryCap);
        }
        Assert.True(h.Host.Reassembly4.Evicted > 0);
        foreach (var f in Fragments4(EchoRequest4(100), id: 60_000)) h.Inject(f);
        var reply = h.Next().Extract<IcmpV4Packet>();
        Assert.Equal(IcmpV4TypeCode.EchoReply, reply.TypeCode);
    }

    [Fact]
    public void Overlapping_IPv6_fragments_drop_the_whole_datagram()
    {
        var h = new HostHarness();
        LearnPeers(h);
        var frames = Fragments6(EchoRequest6(4000));
        var overlapping = Fragments6(EchoRequest6(4000), maxData: 1000);
        h.Inject(frames[0]);
        h.Inject(overlapping[1]); // 1000..2000 overlaps 0..1448
        foreach (var f in frames.Skip(1)) h.Inject(f);
        h.ExpectNothing();
        Assert.Equal(1, h.Host.Reassembly6[ReassemblyDrop.Overlap]);
    }

    [Fact]
    public void With_checksum_offload_a_TCP_segment_is_checksummed_whole_before_it_is_fragmented()
    {
        var h = new HostHarness(checksumOffload: true);
        Assert.True(h.Host.TcpChecksumOffload);
        LearnPeers(h);
        // A 3000-byte segment as TCP writes it for a link that finishes checksums: the folded pseudo-header sum.
        var segment = new byte[3000];
        new Random(3).NextBytes(segment);
        var pseudo = InternetChecksum.PseudoHeader(Our4, Peer4, (byte)IpProtocol.Tcp, segment.Length);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(segment.AsSpan(16), (ushort)~InternetChecksum.Finish(pseudo));
        var sent = segment.ToArray();

        Assert.Equal(SendResult.Sent, h.Host.Send(Our4, Peer4, IpProtocol.Tcp, segment, h.Now));
        var whole = ReassembleReply4(h, out int fragments);
        Assert.Equal(3, fragments);
        Assert.Equal(0, InternetChecksum.Finish(InternetChecksum.Add(pseudo, whole))); // the receiver's check passes
        Assert.Equal(sent, segment); // the caller's buffer is left alone

        // A segment that leaves whole keeps its partial checksum for the link to finish.
        Assert.Equal(SendResult.Sent, h.Host.Send(Our4, Peer4, IpProtocol.Tcp, segment.AsSpan(0, 1000), h.Now));
        Assert.Equal(sent.AsSpan(0, 1000).ToArray(), h.NextRaw().AsSpan(EthernetFrame.HeaderLength + 20).ToArray());
    }

    [Fact]
    public void A_local_send_over_the_path_MTU_with_DF_fails_whole_and_IPv6_over_the_maximum_fails()
    {
        var h = new HostHarness();
        LearnPeers(h);
        Assert.Equal(SendResult.MessageTooLong, h.Host.Send(Our4, Peer4, IpProtocol.Udp, new byte[1481], h.Now, dontFragment: true));
        Assert.Equal(SendResult.MessageTooLong, h.Host.Send(Our6, Peer6, IpProtocol.Udp, new byte[65536], h.Now));
        Assert.Equal(SendResult.MessageTooLong, h.Host.Send(Our4, Peer4, IpProtocol.Udp, new byte[65516], h.Now));
        h.ExpectNothing();
        Assert.Equal(SendResult.Sent, h.Host.Send(Our4, Peer4, IpProtocol.Udp, new byte[1480], h.Now, dontFragment: true));
    }

    [Fact]
    public void Fragmentation_needed_lowers_the_path_MTU_only_when_a_transport_vouches_for_the_quote()
    {
        var h = new HostHarness();
        LearnPeers(h);
        var sent = new byte[20 + 8 + 1472];
        new Ipv4Repr(Our4, Peer4, IpProtocol.Udp, 8 + 1472, 64, 1, DontFragment: true).Write(sent);

        // No transport matched it (RFC 5927 §4.1): the IP layer alone cannot tell a late or forged error.
        h.Inject(FragNeeded(sent, mtu: 1000, quotedSource: Our4));
        Assert.Equal(1500, h.Host.PathMtu(Peer4, h.Now));

        var transport = new Vouching(h.Host);
        h.Host.Register(IpProtocol.Udp, transport);
        h.Inject(FragNeeded(sent, mtu: 1000, quotedSource: Ipv4Address.Parse("192.0.2.77")));
        Assert.Equal(1500, h.Host.PathMtu(Peer4, h.Now)); // not a packet of ours: never reaches the transport
        h.Inject(FragNeeded(sent, mtu: 1000, quotedSource: Our4));
        Assert.Equal(1000, h.Host.PathMtu(Peer4, h.Now));
        // An old router reports no MTU (RFC 1191 §5): the plateau below the quoted length, 508, is under Linux's
        // min_pmtu, so the path is locked at 552 and sent without DF.
        var small = new byte[20 + 8 + 560];
        new Ipv4Repr(Our4, Peer4, IpProtocol.Udp, 8 + 560, 64, 2, DontFragment: true).Write(small);
        h.Inject(FragNeeded(small, mtu: 0, quotedSource: Our4));
        Assert.Equal(IpHost.MinIpv4PathMtu, h.Host.PathMtu(Peer4, h.Now));
        Assert.Equal([1000, 508], transport.Reported);
        h.ExpectNothing();
        Assert.Equal(SendResult.Sent, h.Host.Send(Our4, Peer4, IpProtocol.Udp, new byte[1000], h.Now, dontFragment: true));
        Assert.Equal(2, h.SentCount); // fragmented, DF or not: the path is locked
        h.Advance(TimeSpan.FromMinutes(11));
        Assert.Equal(1500, h.Host.PathMtu(Peer4, h.Now)); // aged out
    }

    [Fact]
    public void Packet_too_big_never_lowers_an_IPv6_path_below_1280()
    {
        var h = new HostHarness();
        LearnPeers(h);
        h.Host.Register(IpProtocol.Udp, new Vouching(h.Host));
        var sent = new byte[40 + 8];
        new Ipv6Repr(Our6, Peer6, IpProtocol.Udp, 8).Write(sent);
        var icmp = new byte[8 + sent.Length];
        int len = Icmpv6Message.WriteError(icmp, Peer6, Our6, Icmpv6Type.PacketTooBig, 0, 1000, sent);
        var ip = new byte[40 + len];
        new Ipv6Repr(Peer6, Our6, IpProtocol.Icmpv6, len, 64).Write(ip);
        icmp.AsSpan(0, len).CopyTo(ip.AsSpan(40));
        h.Inject(Ethernet(PeerMac, OurMac, EtherType.Ipv6, ip));
        Assert.Equal(1280, h.Host.PathMtu(Peer6, h.Now));
    }

    /// <summary>A transport that takes every too-big error as about a datagram of its own.</summary>
    private sealed class Vouching(IpHost host) : IIpTransport
    {
        public List<int> Reported { get; } = [];
        public Instant NextDeadline => Instant.Never;
        public void OnDatagram(in IpDatagram datagram, Instant now) { }
        public void OnTimer(Instant now) { }

        public void OnIcmpError(in IcmpError error, Instant now)
        {
            if (error.Kind != IcmpErrorKind.PacketTooBig) return;
            Reported.Add(error.Mtu);
            host.LowerPathMtu(error.Destination, error.Mtu, now);
        }
    }

    private static byte[] FragNeeded(byte[] quotedPacket, int mtu, Ipv4Address quotedSource)
    {
        var quote = quotedPacket[..28];
        quotedSource.Write(quote.AsSpan(12));
        var icmp = new byte[8 + quote.Length];
        int len = Icmpv4Message.WriteError(icmp, Icmpv4Type.DestinationUnreachable, Icmpv4Code.FragmentationNeeded, (uint)mtu, quote);
        var ip = new byte[20 + len];
        new Ipv4Repr(Peer4, Our4, IpProtocol.Icmp, len, 64, 3).Write(ip);
        icmp.AsSpan(0, len).CopyTo(ip.AsSpan(20));
        return Ethernet(PeerMac, OurMac, EtherType.Ipv4, ip);
    }
}
