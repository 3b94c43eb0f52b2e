using Stack.Link.Diagnostics;
using Stack.Link.Wire;
using static Stack.Tests.Wire.Trace;

namespace Stack.Tests.Wire;

public sealed class ArpTests
{
    [Fact]
    public void Who_has_198_51_100_7_tell_192_0_2_1()
    {
        Assert.True(ArpPacket.TryParse(Arp(), out var arp, out var reason), reason.ToString());
        Assert.Equal(ArpOperation.Request, arp.Operation);
        Assert.Equal(MacA, arp.SenderMac);
        Assert.Equal(HostA, arp.SenderIp);
        Assert.Equal(MacAddress.Zero, arp.TargetMac);
        Assert.Equal(HostB, arp.TargetIp);
    }

    [Fact]
    public void Ethernet_padding_after_the_packet_is_ignored()
    {
        var padded = Concat(Arp(ArpOperation.Reply), new byte[18]);
        Assert.True(ArpPacket.TryParse(padded, out var arp, out _));
        Assert.Equal(ArpOperation.Reply, arp.Operation);
    }

    [Theory]
    [InlineData(0, 0x00, 0x06)] // hardware type 6 (IEEE 802), not Ethernet
    [InlineData(2, 0x86, 0xDD)] // protocol IPv6
    [InlineData(4, 0x08, 0x06)] // hlen 8, plen 6
    [InlineData(6, 0x00, 0x03)] // RARP request
    [InlineData(6, 0x00, 0x00)]
    public void Other_hardware_protocol_or_opcode_is_unsupported(int offset, byte hi, byte lo)
    {
        var bytes = Arp();
        bytes[offset] = hi;
        bytes[offset + 1] = lo;
        Assert.False(ArpPacket.TryParse(bytes, out _, out var reason));
        Assert.Equal(RejectReason.UnsupportedType, reason);
    }
}
