using System.Buffers.Binary;
using Stack.IP.Wire;
using Stack.Link.Diagnostics;
using Stack.Link.Wire;
using static Stack.Tests.Wire.Trace;

namespace Stack.Tests.Wire;

public sealed class Ipv4Tests
{
    [Fact]
    public void Echo_request_192_0_2_1_to_198_51_100_7()
    {
        var bytes = Ipv4Echo(dataLength: 8);
        Assert.True(Ipv4Header.TryParse(bytes, out var ip, out var reason), reason.ToString());
        Assert.Equal(20, ip.HeaderLength);
        Assert.Equal(36, ip.TotalLength);
        Assert.Equal(HostA, ip.Source);
        Assert.Equal(HostB, ip.Destination);
        Assert.Equal(IpProtocol.Icmp, ip.Protocol);
        Assert.Equal(64, ip.Ttl);
        Assert.Equal(7, ip.Identification);
        Assert.True(ip.DontFragment);
        Assert.False(ip.IsFragment);
        Assert.Equal(16, ip.Payload.Length);
        Assert.True(ip.Options.IsEmpty);
    }

    [Fact]
    public void Link_padding_beyond_total_length_is_not_payload()
    {
        var bytes = Concat(Ipv4Echo(dataLength: 0), new byte[18]);
        Assert.True(Ipv4Header.TryParse(bytes, out var ip, out _));
        Assert.Equal(28, ip.TotalLength);
        Assert.Equal(8, ip.Payload.Length);
    }

    [Fact]
    public void Three_nops_are_padded_with_end_of_list_to_four_bytes()
    {
        byte[] threeBytes = [0x01, 0x01, 0x01];
        var bytes = Ipv4Echo(options: threeBytes);
        Assert.True(Ipv4Header.TryParse(bytes, out var ip, out var reason), reason.ToString());
        Assert.Equal(24, ip.HeaderLength);
        Assert.Equal([0x01, 0x01, 0x01, 0x00], ip.Options.ToArray());
    }

    [Fact]
    public void Fragment_offset_is_in_bytes()
    {
        var repr = new Ipv4Repr(HostA, HostB, IpProtocol.Udp, 16, MoreFragments: true, FragmentOffset: 1480);
        var buffer = new byte[36];
        repr.Write(buffer);
        Assert.Equal(0x2000 | 185, BinaryPrimitives.ReadUInt16BigEndian(buffer.AsSpan(6)));
        Assert.True(Ipv4Header.TryParse(buffer, out var ip, out _));
        Assert.Equal(1480, ip.FragmentOffset);
        Assert.True(ip.IsFragment);
        Assert.Equal(repr, Ipv4Repr.From(ip));
    }

    [Fact]
    public void Fragment_offset_not_a_multiple_of_8_is_api_misuse()
    {
        var repr = new Ipv4Repr(HostA, HostB, IpProtocol.Udp, 0, FragmentOffset: 100);
        Assert.Throws<ArgumentException>(() => repr.Write(new byte[20]));
    }

    [Fact]
    public void Bad_header_checksum_is_rejected()
    {
        var bytes = Ipv4Echo();
        bytes[10] ^= 0x01;
        AssertRejected(bytes, RejectReason.BadChecksum);
    }

    [Fact]
    public void Version_6_in_an_ipv4_header_is_rejected()
    {
        var bytes = Ipv4Echo();
        bytes[0] = 0x65;
        AssertRejected(bytes, RejectReason.BadVersion);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(4)]
    public void Ihl_below_5_is_rejected(int ihl)
    {
        var bytes = Ipv4Echo();
        bytes[0] = (byte)(0x40 | ihl);
        AssertRejected(bytes, RejectReason.BadHeaderLength);
    }

    [Fact]
    public void Ihl_beyond_the_buffer_is_rejected()
    {
        var bytes = Ipv4Echo(dataLength: 0)[..24];
        bytes[0] = 0x4F; // 60 bytes of header, 24 available
        AssertRejected(bytes, RejectReason.BadHeaderLength);
    }

    [Fact]
    public void Total_length_beyond_the_buffer_is_rejected()
    {
        var bytes = Ipv4Echo();
        Rewrite(bytes, total: (ushort)(bytes.Length + 1));
        AssertRejected(bytes, RejectReason.BadTotalLength);
    }

    [Fact]
    public void Total_length_inside_the_header_is_rejected()
    {
        var bytes = Ipv4Echo();
        Rewrite(bytes, total: 19);
        AssertRejected(bytes, RejectReason.BadTotalLength);
    }

    [Theory]
    [InlineData(new byte[] { 0x07, 0x08, 0x04, 0x00 })] // record route claims 8 bytes, 4 left
    [InlineData(new byte[] { 0x01, 0x01, 0x01, 0x44 })] // timestamp type with no room for its length
    [InlineData(new byte[] { 0x82, 0x01, 0x00, 0x00 })] // length 1 is shorter than type + length
    [InlineData(new byte[] { 0x82, 0x00, 0x00, 0x00 })] // length 0 would loop forever
    public void Option_overrunning_the_header_is_rejected(byte[] options)
    {
        var bytes = Ipv4Echo(options: options);
        AssertRejected(bytes, RejectReason.BadOption);
    }

    [Theory]
    [InlineData(new byte[] { 0x00, 0xFF, 0xFF, 0xFF })] // end of list: what follows is not looked at
    [InlineData(new byte[] { 0x01, 0x94, 0x04, 0x00, 0x00 })] // NOP, router alert, then EOL padding
    public void Well_formed_options_are_accepted(byte[] options)
    {
        Assert.True(Ipv4Header.TryParse(Ipv4Echo(options: options), out _, out var reason), reason.ToString());
    }

    /// <summary>Changes the total length and fixes up the checksum, so only the length is wrong.</summary>
    private static void Rewrite(byte[] bytes, ushort total)
    {
        BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(2), total);
        BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(10), 0);
        int ihl = (bytes[0] & 0xF) * 4;
        BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(10), InternetChecksum.Compute(bytes.AsSpan(0, ihl)));
    }

    private static void AssertRejected(byte[] bytes, RejectReason expected)
    {
        Assert.False(Ipv4Header.TryParse(bytes, out _, out var reason));
        Assert.Equal(expected, reason);
    }
}
