using System.Buffers.Binary;
using Stack.Link.Devices.Tap;
using Stack.Link.Diagnostics;
using Stack.Link.Wire;

namespace Stack.Tests.Link;

/// <summary>
/// The virtio_net_hdr before each frame of a TAP with offloads: parsing, the typed rejections, and finishing a
/// checksum the kernel left partial, as pure functions over spans.
/// </summary>
public sealed class VirtioNetHeaderTests
{
    private const int TcpStart = EthernetFrame.HeaderLength + 20; // Ethernet + an IPv4 header without options
    private static readonly Ipv4Address Source = Ipv4Address.Parse("192.0.2.1");
    private static readonly Ipv4Address Destination = Ipv4Address.Parse("192.0.2.2");

    /// <summary>An Ethernet + IPv4 + TCP frame carrying <paramref name="payload"/> bytes, its TCP checksum correct.</summary>
    private static byte[] TcpFrame(int payload)
    {
        var frame = new byte[TcpStart + 20 + payload];
        EthernetFrame.WriteHeader(frame, new MacAddress(0x02_00_00_00_00_02), new MacAddress(0x02_00_00_00_00_01), EtherType.Ipv4);
        var ip = frame.AsSpan(EthernetFrame.HeaderLength);
        ip[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(ip[2..], (ushort)(frame.Length - EthernetFrame.HeaderLength));
        ip[8] = 64;
        ip[9] = 6;
        Source.Write(ip[12..]);
        Destination.Write(ip[16..]);
        BinaryPrimitives.WriteUInt16BigEndian(ip[10..], InternetChecksum.Compute(ip[..20]));
        var tcp = frame.AsSpan(TcpStart);
        BinaryPrimitives.WriteUInt16BigEndian(tcp, 40000);
        BinaryPrimitives.WriteUInt16BigEndian(tcp[2..], 9);
        tcp[12] = 5 << 4;
        tcp[13] = 0x18; // PSH ACK
        BinaryPrimitives.WriteUInt16BigEndian(tcp[14..], 512);
        new Random(payload).NextBytes(tcp[20..]);
        BinaryPrimitives.WriteUInt16BigEndian(tcp[16..], InternetChecksum.Finish(InternetChecksum.Add(Pseudo(tcp.Length), tcp)));
        return frame;
    }

    private static ulong Pseudo(int tcpLength) => InternetChecksum.PseudoHeader(Source, Destination, 6, tcpLength);

    /// <summary>What Linux leaves in a CHECKSUM_PARTIAL segment's field: the folded pseudo-header sum, not complemented.</summary>
    private static void MakePartial(byte[] frame) =>
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(TcpStart + 16), (ushort)~InternetChecksum.Finish(Pseudo(frame.Length - TcpStart)));

    private static byte[] WithHeader(VirtioNetHeader header, byte[] frame)
    {
        var bytes = new byte[VirtioNetHeader.Length + frame.Length];
        header.Write(bytes);
        frame.CopyTo(bytes, VirtioNetHeader.Length);
        return bytes;
    }

    private static VirtioNetHeader Partial(byte gsoType = VirtioNetHeader.GsoNone, ushort gsoSize = 0) =>
        new(VirtioNetHeader.FlagNeedsChecksum, gsoType, TcpStart + 20, gsoSize, TcpStart, 16);

    private static RejectReason Rejection(VirtioNetHeader header, byte[] frame)
    {
        Assert.False(VirtioNetHeader.TryParse(WithHeader(header, frame), out _, out var reason));
        return reason;
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(1459)]
    [InlineData(65535 - 40)] // a GSO super-frame as long as an IPv4 datagram can be
    public void A_partial_checksum_is_completed_to_the_value_a_full_computation_gives(int payload)
    {
        var frame = TcpFrame(payload);
        var expected = frame.AsSpan(TcpStart + 16, 2).ToArray();
        MakePartial(frame);
        var gso = payload > 1460 ? Partial(VirtioNetHeader.GsoTcpV4, 1448) : Partial();
        var bytes = WithHeader(gso, frame);

        Assert.True(VirtioNetHeader.TryParse(bytes, out var header, out var reason), reason.ToString());
        Assert.Equal(gso, header);
        header.CompleteChecksum(bytes.AsSpan(VirtioNetHeader.Length));

        Assert.Equal(expected, bytes.AsSpan(VirtioNetHeader.Length + TcpStart + 16, 2).ToArray());
        var tcp = bytes.AsSpan(VirtioNetHeader.Length + TcpStart);
        Assert.Equal(0, InternetChecksum.Finish(InternetChecksum.Add(Pseudo(tcp.Length), tcp)));
    }

    [Fact]
    public void A_frame_without_needs_csum_is_left_as_it_is()
    {
        var frame = TcpFrame(100);
        var bytes = WithHeader(new VirtioNetHeader(VirtioNetHeader.FlagDataValid, 0, 0, 0, 0, 0), frame);

        Assert.True(VirtioNetHeader.TryParse(bytes, out var header, out _));
        header.CompleteChecksum(bytes.AsSpan(VirtioNetHeader.Length));

        Assert.Equal(frame, bytes.AsSpan(VirtioNetHeader.Length).ToArray());
        Assert.False(header.IsGso);
    }

    [Fact]
    public void The_header_is_little_endian_in_the_legacy_10_byte_layout()
    {
        byte[] bytes = [1, 4, 0x42, 0, 0xA8, 0x05, 0x22, 0, 0x10, 0, .. TcpFrame(0)];

        Assert.True(VirtioNetHeader.TryParse(bytes, out var header, out _));

        Assert.Equal(new VirtioNetHeader(1, VirtioNetHeader.GsoTcpV6, 0x42, 1448, 34, 16), header);
        Assert.True(header.IsGso);
        Assert.True(header.NeedsChecksum);
    }

    [Fact]
    public void The_ecn_bit_on_a_tcp_gso_type_is_accepted()
    {
        var frame = TcpFrame(3000);
        MakePartial(frame);
        Assert.True(VirtioNetHeader.TryParse(WithHeader(Partial(VirtioNetHeader.GsoTcpV4 | VirtioNetHeader.GsoEcn, 1448), frame), out var h, out _));
        Assert.True(h.IsGso);
    }

    [Fact]
    public void Shorter_than_the_header_and_an_ethernet_header_is_truncated()
    {
        Assert.False(VirtioNetHeader.TryParse(new byte[VirtioNetHeader.Length + EthernetFrame.HeaderLength - 1], out _, out var reason));
        Assert.Equal(RejectReason.Truncated, reason);
        Assert.False(VirtioNetHeader.TryParse([], out _, out reason));
        Assert.Equal(RejectReason.Truncated, reason);
    }

    [Fact]
    public void Unknown_flags_are_rejected() =>
        Assert.Equal(RejectReason.BadFlags, Rejection(Partial() with { Flags = 0x05 }, TcpFrame(10)));

    [Theory]
    [InlineData(3)]   // UDP (UFO): never negotiated
    [InlineData(5)]   // UDP_L4 (USO): never negotiated
    [InlineData(0x7F)]
    public void Gso_types_we_did_not_ask_for_are_rejected(byte type) =>
        Assert.Equal(RejectReason.UnsupportedType, Rejection(Partial(type, 1448), TcpFrame(3000)));

    [Theory]
    [InlineData(TcpStart, 40)]     // the field would end two bytes past the frame (20 + 40 bytes of TCP)
    [InlineData(60000, 16)]        // csum_start far beyond the frame
    [InlineData(TcpStart + 40, 0)] // csum_start at the very end: no room for the field
    [InlineData(10, 6)]            // inside the Ethernet header
    public void A_checksum_range_outside_the_frame_is_rejected(int start, int offset) =>
        Assert.Equal(RejectReason.BadField, Rejection(Partial() with { ChecksumStart = (ushort)start, ChecksumOffset = (ushort)offset }, TcpFrame(0)));

    [Fact]
    public void Gso_without_a_partial_checksum_is_rejected() =>
        Assert.Equal(RejectReason.BadFlags, Rejection(new VirtioNetHeader(0, VirtioNetHeader.GsoTcpV4, 0, 1448, 0, 0), TcpFrame(3000)));

    [Fact]
    public void Gso_with_a_zero_segment_size_or_a_non_tcp_checksum_offset_is_rejected()
    {
        Assert.Equal(RejectReason.BadField, Rejection(Partial(VirtioNetHeader.GsoTcpV4, 0), TcpFrame(3000)));
        Assert.Equal(RejectReason.BadField, Rejection(Partial(VirtioNetHeader.GsoTcpV4, 1448) with { ChecksumOffset = 6 }, TcpFrame(3000)));
    }

    [Fact]
    public void Gso_on_a_frame_too_short_for_the_tcp_header_it_points_at_is_truncated()
    {
        // The checksum field fits, but the 20-byte TCP header does not.
        var frame = TcpFrame(0)[..(TcpStart + 18)];
        Assert.Equal(RejectReason.Truncated, Rejection(Partial(VirtioNetHeader.GsoTcpV6, 1440), frame));
    }

    [Fact]
    public void Write_then_parse_round_trips()
    {
        var header = new VirtioNetHeader(1, 1, 66, 1448, 34, 16);
        var bytes = WithHeader(header, TcpFrame(2000));
        Assert.True(VirtioNetHeader.TryParse(bytes, out var read, out _));
        Assert.Equal(header, read);
    }
}
