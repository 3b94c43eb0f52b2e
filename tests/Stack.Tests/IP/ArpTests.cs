using PacketDotNet;
using Stack.Link.Diagnostics;
using Stack.Link.Neighbors;
using Stack.Link.Wire;
using static Stack.Tests.IP.HostHarness;
using ArpOperation = Stack.Link.Wire.ArpOperation;

namespace Stack.Tests.IP;

public sealed class ArpTests
{
    private static byte[] ArpFrame(ArpOperation op, MacAddress senderMac, Ipv4Address senderIp, MacAddress targetMac,
        Ipv4Address targetIp, MacAddress? to = null)
    {
        var arp = new byte[Stack.Link.Wire.ArpPacket.Length];
        Stack.Link.Wire.ArpPacket.Write(arp, op, senderMac, senderIp, targetMac, targetIp);
        return Ethernet(senderMac, to ?? MacAddress.Broadcast, EtherType.Arp, arp);
    }

    [Fact]
    public void Start_announces_each_IPv4_address_with_gratuitous_ARP()
    {
        var h = new HostHarness(start: false);
        h.Host.Start(h.Now);
        var frames = Enumerable.Range(0, h.SentCount).Select(_ => h.Next()).Where(f => f.Type == EthernetType.Arp).ToList();
        var frame = Assert.Single(frames);
        var arp = frame.Extract<PacketDotNet.ArpPacket>();
        Assert.Equal(Phys(MacAddress.Broadcast), frame.DestinationHardwareAddress);
        Assert.Equal(Ip(Our4), arp.SenderProtocolAddress);
        Assert.Equal(Ip(Our4), arp.TargetProtocolAddress);
    }

    [Fact]
    public void Request_for_our_address_is_answered_and_teaches_us_the_sender()
    {
        var h = new HostHarness();
        h.Inject(ArpFrame(ArpOperation.Request, PeerMac, Peer4, MacAddress.Zero, Our4));

        var frame = h.Next();
        var reply = frame.Extract<PacketDotNet.ArpPacket>();
        Assert.Equal(PacketDotNet.ArpOperation.Response, reply.Operation);
        Assert.Equal(Phys(PeerMac), frame.DestinationHardwareAddress);
        Assert.Equal(Phys(OurMac), reply.SenderHardwareAddress);
        Assert.Equal(Ip(Our4), reply.SenderProtocolAddress);
        Assert.Equal(Ip(Peer4), reply.TargetProtocolAddress);
        Assert.True(h.Host.Arp.Cache.TryGet(Peer4, out var state, out var mac));
        Assert.Equal((NeighborState.Stale, PeerMac), (state, mac));
    }

    [Fact]
    public void Request_for_another_address_gets_no_answer_and_adds_no_entry()
    {
        var h = new HostHarness();
        h.Inject(ArpFrame(ArpOperation.Request, PeerMac, Peer4, MacAddress.Zero, Ipv4Address.Parse("192.0.2.99")));
        h.ExpectNothing();
        Assert.False(h.Host.Arp.Cache.TryGet(Peer4, out _, out _));
    }

    [Fact]
    public void Truncated_ARP_is_counted_not_answered()
    {
        var h = new HostHarness();
        var frame = ArpFrame(ArpOperation.Request, PeerMac, Peer4, MacAddress.Zero, Our4);
        h.Inject(frame[..(EthernetFrame.HeaderLength + 20)]);
        h.ExpectNothing();
        Assert.Equal(1, h.Host.Rejects[Layer.Arp, RejectReason.Truncated]);
    }

    [Fact]
    public void Unanswered_resolution_retries_three_times_then_drops_the_queued_packet()
    {
        var h = new HostHarness();
        h.Host.SendEchoRequest(Peer4, 1, 1, new byte[8], h.Now);
        for (int attempt = 1; attempt <= 3; attempt++)
        {
            var request = h.Next().Extract<PacketDotNet.ArpPacket>();
            Assert.Equal(PacketDotNet.ArpOperation.Request, request.Operation);
            Assert.Equal(Ip(Peer4), request.TargetProtocolAddress);
            h.ExpectNothing();
            h.Advance(TimeSpan.FromSeconds(1));
        }
        h.ExpectNothing();
        Assert.False(h.Host.Arp.Cache.TryGet(Peer4, out _, out _));
        Assert.Equal(1, h.Host.Arp.Cache.ResolutionFailures);
    }
}
