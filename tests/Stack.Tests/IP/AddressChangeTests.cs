using PacketDotNet;
using Stack.IP;
using Stack.IP.Routing;
using Stack.Link.Time;
using static Stack.Tests.IP.HostHarness;

namespace Stack.Tests.IP;

public sealed class AddressChangeTests
{
    private sealed class Listener : IIpTransport
    {
        public List<IpAddress> Removed { get; } = [];
        public void OnDatagram(in IpDatagram datagram, Instant now) { }
        public void OnIcmpError(in IcmpError error, Instant now) { }
        public void OnTimer(Instant now) { }
        public Instant NextDeadline => Instant.Never;
        public void OnAddressRemoved(IpAddress address, Instant now) => Removed.Add(address);
    }

    [Fact]
    public void An_added_address_is_announced_routed_and_withdrawn_again_with_the_transports_told()
    {
        var h = new HostHarness();
        var listener = new Listener();
        h.Host.Register(Stack.IP.Wire.IpProtocol.Udp, listener);
        var added = InterfaceAddress.Parse("192.0.2.130/25");

        Assert.True(h.Host.AddAddress(added, h.Now));
        Assert.False(h.Host.AddAddress(added, h.Now));
        var arp = h.Next().Extract<ArpPacket>();
        Assert.Equal("192.0.2.130", arp.SenderProtocolAddress.ToString());
        Assert.Equal("192.0.2.130", arp.TargetProtocolAddress.ToString()); // gratuitous
        Assert.True(h.Host.IsLocal(added.Address));

        Assert.True(h.Host.RemoveAddress(added.Address, h.Now));
        Assert.False(h.Host.RemoveAddress(added.Address, h.Now));
        Assert.Equal([added.Address], listener.Removed);
        Assert.False(h.Host.IsLocal(added.Address));
        Assert.False(h.Host.Routes.RemoveOnLink(added)); // its prefix went with it
    }

    [Fact]
    public void The_link_local_address_cannot_be_removed()
    {
        var h = new HostHarness();
        Assert.False(h.Host.RemoveAddress(h.Host.LinkLocal, h.Now));
        Assert.True(h.Host.IsLocal(h.Host.LinkLocal));
    }
}
