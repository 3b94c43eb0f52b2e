using PacketDotNet;
using Stack.IP;
using Stack.IP.Routing;
using Stack.IP.Wire;
using Stack.Link.Devices;
using Stack.Link.Time;
using Stack.Link.Wire;
using static Stack.Tests.IP.HostHarness;

namespace Stack.Tests.IP;

public sealed class RoutingTests
{
    private sealed class Capture : IFrameTransmitter
    {
        public List<byte[]> Frames { get; } = [];
        public void Transmit(ReadOnlySpan<byte> frame) => Frames.Add(frame.ToArray());
    }

    [Fact]
    public void Off_link_destinations_go_through_the_gateway_and_unroutable_ones_fail()
    {
        // 192.0.2.0/25 is on-link; 192.0.2.200 is not, so it needs the gateway at 192.0.2.1.
        var capture = new Capture();
        var host = new IpHost(new IpHostOptions
        {
            Mac = OurMac,
            Addresses = [InterfaceAddress.Parse("192.0.2.2/25")],
            GatewayV4 = Ipv4Address.Parse("192.0.2.1"),
        }, capture);
        var now = Instant.FromMilliseconds(1);

        Assert.Equal(SendResult.Queued, host.Send(IpAddress.AnyV4, IpAddress.Parse("192.0.2.200"), IpProtocol.Udp, new byte[8], now));
        var arp = ((EthernetPacket)Packet.ParsePacket(LinkLayers.Ethernet, capture.Frames.Single())).Extract<PacketDotNet.ArpPacket>();
        Assert.Equal("192.0.2.1", arp.TargetProtocolAddress.ToString());

        Assert.Equal(SendResult.NoRoute, host.Send(IpAddress.AnyV6, IpAddress.Parse("2001:db8::9"), IpProtocol.Udp, new byte[8], now));
    }

    [Fact]
    public void The_route_table_prefers_on_link_prefixes()
    {
        var routes = new RouteTable { GatewayV6 = IpAddress.Parse("2001:db8::1") };
        routes.AddOnLink(InterfaceAddress.Parse("2001:db8::2/120"));
        Assert.True(routes.TryGetNextHop(IpAddress.Parse("2001:db8::77"), out var hop));
        Assert.Equal(IpAddress.Parse("2001:db8::77"), hop);
        Assert.True(routes.TryGetNextHop(IpAddress.Parse("2001:db8::1:0"), out hop));
        Assert.Equal(IpAddress.Parse("2001:db8::1"), hop);
        Assert.True(routes.TryGetNextHop(IpAddress.Parse("fe80::1"), out hop));
        Assert.Equal(IpAddress.Parse("fe80::1"), hop);
    }
}
