using Stack.IP.Wire;
using Stack.Link.Diagnostics;
using static Stack.Tests.Wire.Trace;

namespace Stack.Tests.Wire;

public sealed class Ipv6Tests
{
    [Fact]
    public void Echo_request_2001_db8__1_to_2001_db8__2()
    {
        var bytes = Ipv6Echo(dataLength: 8);
        Assert.True(Ipv6Header.TryParse(bytes, out var ip, out var reason), reason.ToString());
        Assert.Equal(Host6A, ip.Source);
        Assert.Equal(Host6B, ip.Destination);
        Assert.Equal(IpProtocol.Icmpv6, ip.NextHeader);
        Assert.Equal(16, ip.PayloadLength);
        Assert.Equal(16, ip.Payload.Length);
        Assert.Equal(64, ip.HopLimit);
        Assert.Equal(40, ip.Header.Length);
    }

    [Fact]
    public void Traffic_class_and_flow_label_share_the_first_word()
    {
        var buffer = new byte[40];
        new Ipv6Repr(Host6A, Host6B, IpProtocol.Udp, 0, HopLimit: 1, TrafficClass: 0xB8, FlowLabel: 0xABCDE).Write(buffer);
        Assert.Equal([0x6B, 0x8A, 0xBC, 0xDE], buffer[..4]);
        Assert.True(Ipv6Header.TryParse(buffer, out var ip, out _));
        Assert.Equal(0xB8, ip.TrafficClass);
        Assert.Equal(0xABCDEu, ip.FlowLabel);
    }

    [Fact]
    public void Link_padding_beyond_payload_length_is_ignored()
    {
        var bytes = Concat(Ipv6Echo(dataLength: 0), new byte[6]);
        Assert.True(Ipv6Header.TryParse(bytes, out var ip, out _));
        Assert.Equal(8, ip.Payload.Length);
    }

    [Fact]
    public void Version_4_is_rejected()
    {
        var bytes = Ipv6Echo();
        bytes[0] = 0x45;
        Assert.False(Ipv6Header.TryParse(bytes, out _, out var reason));
        Assert.Equal(RejectReason.BadVersion, reason);
    }

    [Fact]
    public void Payload_length_beyond_the_buffer_is_rejected()
    {
        var bytes = Ipv6Echo();
        bytes[5]++;
        Assert.False(Ipv6Header.TryParse(bytes, out _, out var reason));
        Assert.Equal(RejectReason.BadTotalLength, reason);
    }

    [Fact]
    public void Jumbogram_is_unsupported()
    {
        var bytes = Concat(Ipv6(IpProtocol.HopByHop, []), OptionsHeader(IpProtocol.Icmpv6, 0xC2, 4));
        Assert.False(Ipv6Header.TryParse(bytes, out _, out var reason));
        Assert.Equal(RejectReason.UnsupportedType, reason);
    }

    [Fact]
    public void Fragment_header_second_fragment_of_id_0xdeadbeef()
    {
        var buffer = new byte[8];
        Ipv6FragmentHeader.Write(buffer, IpProtocol.Udp, 1232, true, 0xDEADBEEF);
        Assert.True(Ipv6FragmentHeader.TryParse(buffer, out var frag, out _));
        Assert.Equal(IpProtocol.Udp, frag.NextHeader);
        Assert.Equal(1232, frag.FragmentOffset);
        Assert.True(frag.MoreFragments);
        Assert.Equal(0xDEADBEEFu, frag.Identification);
        Assert.Throws<ArgumentException>(() => Ipv6FragmentHeader.Write(buffer, IpProtocol.Udp, 1230, false, 0));
    }
}
