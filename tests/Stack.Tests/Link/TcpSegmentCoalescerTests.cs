using System.Buffers.Binary;
using Stack.Link.Devices.Tap;
using Stack.Link.Diagnostics;
using Stack.Link.Wire;

namespace Stack.Tests.Link;

/// <summary>
/// Joining a burst of TCP segments into one GSO super-frame for a TAP with offloads, as pure functions over
/// frames: the virtio header's fields, the IP lengths, the partial checksum, the payload in order, and what ends
/// or refuses a super-frame.
/// </summary>
public sealed class TcpSegmentCoalescerTests
{
    private const int Mss = 1448; // 1500 less IPv4, TCP and the timestamp option
    private const int TcpHeader = 32;
    private const byte Ack = 0x10, Psh = 0x08, Fin = 0x01, Syn = 0x02;
    private static readonly Ipv4Address Source4 = Ipv4Address.Parse("192.0.2.2");
    private static readonly Ipv4Address Destination4 = Ipv4Address.Parse("192.0.2.1");
    private static readonly Ipv6Address Source6 = Ipv6Address.Parse("2001:db8::2");
    private static readonly Ipv6Address Destination6 = Ipv6Address.Parse("2001:db8::1");

    private static int IpHeader(bool ipv6) => ipv6 ? 40 : 20;

    /// <summary>
    /// A segment as the stack sends it: Ethernet, IPv4 (DF) or IPv6, TCP with NOP NOP timestamps, the payload the
    /// stream holds at <paramref name="seq"/> (byte i is i mod 251), both checksums complete.
    /// </summary>
    private static byte[] Segment(uint seq, int payload, byte flags = Ack, bool ipv6 = false, uint ack = 1000, ushort id = 7,
        uint tsval = 123456, uint tsecr = 654321)
    {
        int ipHeader = IpHeader(ipv6);
        var frame = new byte[EthernetFrame.HeaderLength + ipHeader + TcpHeader + payload];
        EthernetFrame.WriteHeader(frame, new MacAddress(0x02_00_00_00_00_01), new MacAddress(0x02_00_53_54_00_02), ipv6 ? EtherType.Ipv6 : EtherType.Ipv4);
        var ip = frame.AsSpan(EthernetFrame.HeaderLength);
        int tcpLength = TcpHeader + payload;
        if (ipv6)
        {
            ip[0] = 0x60;
            BinaryPrimitives.WriteUInt16BigEndian(ip[4..], (ushort)tcpLength);
            ip[6] = 6;
            ip[7] = 64;
            Source6.Write(ip[8..]);
            Destination6.Write(ip[24..]);
        }
        else
        {
            ip[0] = 0x45;
            BinaryPrimitives.WriteUInt16BigEndian(ip[2..], (ushort)(20 + tcpLength));
            BinaryPrimitives.WriteUInt16BigEndian(ip[4..], id);
            ip[6] = 0x40; // DF
            ip[8] = 64;
            ip[9] = 6;
            Source4.Write(ip[12..]);
            Destination4.Write(ip[16..]);
            BinaryPrimitives.WriteUInt16BigEndian(ip[10..], InternetChecksum.Compute(ip[..20]));
        }
        var tcp = ip[ipHeader..];
        BinaryPrimitives.WriteUInt16BigEndian(tcp, 19);
        BinaryPrimitives.WriteUInt16BigEndian(tcp[2..], 40000);
        BinaryPrimitives.WriteUInt32BigEndian(tcp[4..], seq);
        BinaryPrimitives.WriteUInt32BigEndian(tcp[8..], ack);
        tcp[12] = (TcpHeader / 4) << 4;
        tcp[13] = flags;
        BinaryPrimitives.WriteUInt16BigEndian(tcp[14..], 501);
        tcp[20] = 1;
        tcp[21] = 1;
        tcp[22] = 8;
        tcp[23] = 10;
        BinaryPrimitives.WriteUInt32BigEndian(tcp[24..], tsval);
        BinaryPrimitives.WriteUInt32BigEndian(tcp[28..], tsecr);
        for (int i = 0; i < payload; i++) tcp[TcpHeader + i] = (byte)((seq + (uint)i) % 251);
        BinaryPrimitives.WriteUInt16BigEndian(tcp[16..], InternetChecksum.Finish(InternetChecksum.Add(Pseudo(ipv6, tcpLength), tcp[..tcpLength])));
        return frame;
    }

    private static ulong Pseudo(bool ipv6, int tcpLength) => ipv6
        ? InternetChecksum.PseudoHeader(Source6, Destination6, 6, tcpLength)
        : InternetChecksum.PseudoHeader(Source4, Destination4, 6, tcpLength);

    private static TcpSegmentCoalescer Burst(int full, int tail = 0, bool ipv6 = false, uint seq = 5000)
    {
        var c = new TcpSegmentCoalescer();
        Assert.True(c.TryStart(Segment(seq, Mss, ipv6: ipv6)));
        for (int i = 1; i < full; i++) Assert.True(c.TryAppend(Segment(seq + (uint)(i * Mss), Mss, ipv6: ipv6, id: (ushort)(7 + i))));
        if (tail > 0) Assert.True(c.TryAppend(Segment(seq + (uint)(full * Mss), tail, ipv6: ipv6)));
        return c;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_burst_of_full_segments_becomes_one_GSO_frame_with_the_virtio_fields_set(bool ipv6)
    {
        var c = Burst(full: 40, tail: 100, ipv6: ipv6);
        Assert.Equal(41, c.Segments);
        var written = c.Take().ToArray();
        Assert.False(c.IsHolding);

        Assert.True(VirtioNetHeader.TryParse(written, out var header, out var reason), reason.ToString());
        int l4 = EthernetFrame.HeaderLength + IpHeader(ipv6);
        Assert.Equal(VirtioNetHeader.FlagNeedsChecksum, header.Flags);
        Assert.Equal(ipv6 ? VirtioNetHeader.GsoTcpV6 : VirtioNetHeader.GsoTcpV4, header.GsoType);
        Assert.Equal(Mss, header.GsoSize);
        Assert.Equal(l4 + TcpHeader, header.HeaderLength);
        Assert.Equal(l4, header.ChecksumStart);
        Assert.Equal(16, header.ChecksumOffset);

        var frame = written.AsSpan(VirtioNetHeader.Length);
        int tcpLength = TcpHeader + 40 * Mss + 100;
        Assert.Equal(l4 + tcpLength, frame.Length);
        var ip = frame[EthernetFrame.HeaderLength..];
        if (ipv6)
        {
            Assert.Equal(tcpLength, BinaryPrimitives.ReadUInt16BigEndian(ip[4..]));
        }
        else
        {
            Assert.Equal(20 + tcpLength, BinaryPrimitives.ReadUInt16BigEndian(ip[2..]));
            Assert.True(InternetChecksum.IsValid(ip[..20]), "the IPv4 header checksum should match the new length");
            Assert.Equal(7, BinaryPrimitives.ReadUInt16BigEndian(ip[4..])); // the first segment's identification
        }
        // CHECKSUM_PARTIAL: the field holds the folded pseudo-header sum over the whole TCP length.
        Assert.Equal((ushort)~InternetChecksum.Finish(Pseudo(ipv6, tcpLength)), BinaryPrimitives.ReadUInt16BigEndian(frame[(l4 + 16)..]));
        var tcp = frame[l4..];
        Assert.Equal(5000u, BinaryPrimitives.ReadUInt32BigEndian(tcp[4..]));
        for (int i = 0; i < tcpLength - TcpHeader; i++) Assert.Equal((byte)((5000 + i) % 251), tcp[TcpHeader + i]);

        // Finished as the kernel would for one segment of the whole, the checksum verifies.
        header.CompleteChecksum(frame);
        Assert.Equal(0, InternetChecksum.Finish(InternetChecksum.Add(Pseudo(ipv6, tcpLength), tcp)));
    }

    [Fact]
    public void A_super_frame_stops_short_of_65535_bytes_of_IP_packet()
    {
        var c = Burst(full: 1);
        uint seq = 5000 + Mss;
        while (c.TryAppend(Segment(seq, Mss))) seq += Mss;
        // 20 + 32 + 45 × 1448 = 65212 fits; a 46th segment would make 66660.
        Assert.Equal(45, c.Segments);
        var frame = c.Take()[VirtioNetHeader.Length..];
        Assert.True(frame.Length - EthernetFrame.HeaderLength <= 65535);
        Assert.True(c.TryStart(Segment(seq, Mss)), "the segment that did not fit starts the next one");
    }

    [Fact]
    public void One_segment_goes_as_it_came_with_a_plain_header()
    {
        var segment = Segment(5000, Mss);
        var c = new TcpSegmentCoalescer();
        Assert.True(c.TryStart(segment));
        var written = c.Take();
        Assert.True(written[..VirtioNetHeader.Length].IndexOfAnyExcept((byte)0) < 0, "no GSO, no partial checksum");
        Assert.True(written[VirtioNetHeader.Length..].SequenceEqual(segment));
    }

    [Fact]
    public void With_checksum_offload_one_segment_says_NEEDS_CSUM_from_its_TCP_header()
    {
        var c = new TcpSegmentCoalescer { ChecksumsPartial = true };
        Assert.True(c.TryStart(Segment(5000, Mss)));
        Assert.True(VirtioNetHeader.TryParse(c.Take(), out var header, out _));
        Assert.Equal(new VirtioNetHeader(VirtioNetHeader.FlagNeedsChecksum, VirtioNetHeader.GsoNone,
            EthernetFrame.HeaderLength + 20 + TcpHeader, 0, EthernetFrame.HeaderLength + 20, 16), header);
    }

    [Theory]
    [InlineData(false, 0)]
    [InlineData(true, 0)]
    [InlineData(false, Mss)]
    public void A_partial_header_goes_on_TCP_segments_only(bool ipv6, int payload)
    {
        var header = VirtioNetHeader.ForPartialTcp(Segment(1, payload, ipv6: ipv6));
        Assert.True(header.NeedsChecksum);
        Assert.Equal(EthernetFrame.HeaderLength + IpHeader(ipv6), header.ChecksumStart);
        var fragment = Segment(1, payload);
        fragment[EthernetFrame.HeaderLength + 6] = 0x20; // MF: the IP layer completes a segment's checksum before it fragments it
        Assert.False(VirtioNetHeader.ForPartialTcp(fragment).NeedsChecksum);
        var udp = Segment(1, payload);
        udp[EthernetFrame.HeaderLength + 9] = 17;
        Assert.False(VirtioNetHeader.ForPartialTcp(udp).NeedsChecksum);
    }

    [Fact]
    public void A_shorter_segment_or_PSH_ends_the_super_frame()
    {
        var c = Burst(full: 3, tail: 500);
        Assert.False(c.TryAppend(Segment(5000 + 3 * Mss + 500, Mss)));

        c = Burst(full: 3);
        Assert.True(c.TryAppend(Segment(5000 + 3 * Mss, Mss, Ack | Psh)));
        Assert.False(c.TryAppend(Segment(5000 + 4 * Mss, Mss)));
        var frame = c.Take()[VirtioNetHeader.Length..];
        Assert.Equal(Ack | Psh, frame[EthernetFrame.HeaderLength + 20 + 13]); // tcp_gso_segment leaves it on the last segment
    }

    [Fact]
    public void Segments_that_do_not_continue_the_held_one_are_refused()
    {
        var c = Burst(full: 2);
        uint next = 5000 + 2 * Mss;
        Assert.False(c.TryAppend(Segment(next + 1, Mss)), "a gap in the sequence");
        Assert.False(c.TryAppend(Segment(next, Mss, ack: 2000)), "another acknowledgment number");
        Assert.False(c.TryAppend(Segment(next, Mss, Ack | Fin)), "a FIN goes on its own");
        Assert.False(c.TryAppend(Segment(next, Mss + 1)), "longer than gso_size");
        Assert.False(c.TryAppend(Segment(next, Mss, ipv6: true)), "another family");
        var other = Segment(next, Mss);
        other[EthernetFrame.HeaderLength + 20 + 2] ^= 1; // another destination port
        Assert.False(c.TryAppend(other), "another connection");
        Assert.Equal(2, c.Segments);
        Assert.True(c.TryAppend(Segment(next, Mss)));
    }

    [Fact]
    public void Only_data_segments_with_ACK_alone_start_one()
    {
        var c = new TcpSegmentCoalescer();
        Assert.False(c.TryStart(Segment(5000, 0)), "a pure ACK");
        Assert.False(c.TryStart(Segment(5000, Mss, Ack | Psh)), "PSH");
        Assert.False(c.TryStart(Segment(5000, Mss, Syn)), "a SYN");
        var fragment = Segment(5000, Mss);
        fragment[EthernetFrame.HeaderLength + 6] = 0x20; // MF
        Assert.False(c.TryStart(fragment), "a fragment");
        Assert.False(c.TryStart(new byte[60]), "not IP");
        Assert.False(c.IsHolding);
    }

    [Fact]
    public void The_kernel_parses_what_it_writes_back_without_rejection()
    {
        // What we write must be what VirtioNetHeader accepts reading: the same rules the kernel's
        // virtio_net_hdr_to_skb applies to GSO frames.
        var written = Burst(full: 10).Take();
        Assert.True(VirtioNetHeader.TryParse(written, out _, out var reason));
        Assert.Equal(RejectReason.None, reason);
    }
    [Fact]
    public void A_burst_across_a_tick_of_the_timestamp_clock_joins_with_the_first_TSval()
    {
        var c = Burst(full: 2);
        uint next = 5000 + 2 * Mss;
        Assert.False(c.TryAppend(Segment(next, Mss, tsecr: 654322)), "another TSecr");
        Assert.True(c.TryAppend(Segment(next, Mss, tsval: 123457)), "the next millisecond's TSval");
        var frame = c.Take()[VirtioNetHeader.Length..];
        int options = EthernetFrame.HeaderLength + 20 + 20;
        Assert.Equal(123456u, BinaryPrimitives.ReadUInt32BigEndian(frame[(options + 4)..])); // every cut segment carries it, as Linux's TSO
        Assert.Equal(3 * Mss, frame.Length - options - 12);
    }
}
