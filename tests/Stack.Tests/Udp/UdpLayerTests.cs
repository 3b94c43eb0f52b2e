using System.Net.Sockets;
using System.Text;
using PacketDotNet;
using Stack.IP;
using Stack.Link.Diagnostics;
using Stack.Link.Wire;
using Stack.Udp;
using Stack.Udp.Ports;
using static Stack.Tests.IP.HostHarness;
using static Stack.Tests.Udp.UdpHarness;

namespace Stack.Tests.Udp;

public sealed class UdpLayerTests
{
    private static byte[] Bytes(string text) => Encoding.ASCII.GetBytes(text);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Datagram_to_a_bound_port_is_queued_with_its_sender(bool v6)
    {
        var u = new UdpHarness();
        var e = u.Bound(Any(v6), 7);
        int readable = 0;
        e.Readable = _ => readable++;

        u.Inject(Datagram(Peer(v6), Our(v6), 5000, 7, Bytes("hello")));

        Assert.Equal(1, readable);
        Assert.Equal((Peer(v6), (ushort)5000, "hello"), Take(e));
        Assert.Equal(1, u.Udp.Statistics.DatagramsReceived);
        u.H.ExpectNothing();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Connected_beats_specific_beats_wildcard(bool v6)
    {
        var u = new UdpHarness();
        var wildcard = u.Bound(Any(v6), 53, reuse: true);
        var specific = u.Bound(Our(v6), 53, reuse: true);
        var connected = u.Bound(Our(v6), 53, reuse: true);
        Assert.Equal(SocketError.Success, u.Udp.Connect(connected, Peer(v6), 5000));

        u.Inject(Datagram(Peer(v6), Our(v6), 5000, 53, Bytes("to connected")));
        u.Inject(Datagram(Peer(v6), Our(v6), 5001, 53, Bytes("to specific")));
        Assert.Equal("to connected", Take(connected).Text);
        Assert.Equal("to specific", Take(specific).Text);

        u.Udp.Close(specific);
        u.Inject(Datagram(Peer(v6), Our(v6), 5001, 53, Bytes("to wildcard")));
        Assert.Equal("to wildcard", Take(wildcard).Text);
        Assert.Equal(0, connected.QueuedCount + specific.QueuedCount + wildcard.QueuedCount);
    }

    [Fact]
    public void Connected_endpoint_alone_on_a_port_ignores_other_peers_which_get_port_unreachable()
    {
        var u = new UdpHarness();
        u.LearnPeer(false);
        var connected = u.Bound(Our4, 4000);
        Assert.Equal(SocketError.Success, u.Udp.Connect(connected, Peer4, 5000));

        u.Inject(Datagram(Peer4, Our4, 5001, 4000, Bytes("stranger")));

        Assert.Equal(0, connected.QueuedCount);
        var icmp = u.H.Next().Extract<IcmpV4Packet>();
        Assert.Equal(IcmpV4TypeCode.UnreachablePort, icmp.TypeCode);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Families_are_separate_no_dual_stack(bool v6)
    {
        var u = new UdpHarness();
        u.LearnPeer(!v6);
        var e = u.Bound(Any(v6), 7);

        u.Inject(Datagram(Peer(!v6), Our(!v6), 5000, 7, Bytes("other family")));

        Assert.Equal(0, e.QueuedCount);
        Assert.Equal(1, u.Udp.Statistics.NoPorts);
        u.H.Next(); // port unreachable in the other family
    }

    [Fact]
    public void Full_receive_queue_drops_and_counts_then_takes_again_once_read()
    {
        var u = new UdpHarness();
        var e = u.Bound(IpAddress.AnyV4, 9);
        e.ReceiveBufferSize = 3 * (100 + UdpEndpoint.PerDatagramOverhead);

        for (int i = 0; i < 5; i++) u.Inject(Datagram(Peer4, Our4, 5000, 9, new byte[100]));

        Assert.Equal(3, e.QueuedCount);
        Assert.Equal(2, e.Drops);
        Assert.Equal(2, u.Udp.Statistics.ReceiveBufferErrors);
        Assert.Equal(2, u.H.Host.Rejects[Layer.Udp, RejectReason.QueueFull]);
        u.H.ExpectNothing(); // a full queue is not a closed port

        Take(e);
        u.Inject(Datagram(Peer4, Our4, 5000, 9, new byte[100]));
        Assert.Equal(3, e.QueuedCount);
        Assert.Equal(3 * (100 + UdpEndpoint.PerDatagramOverhead), e.QueuedBytes);
    }

    [Fact]
    public void Default_receive_buffer_is_Linux_208_KiB_and_an_empty_queue_takes_even_a_big_datagram()
    {
        var u = new UdpHarness();
        var e = u.Bound(IpAddress.AnyV4, 9);
        Assert.Equal(212_992, e.ReceiveBufferSize);
        e.ReceiveBufferSize = 100;

        u.Inject(Datagram(Peer4, Our4, 5000, 9, new byte[1000]));
        u.Inject(Datagram(Peer4, Our4, 5000, 9, new byte[1]));

        Assert.Equal(1, e.QueuedCount);
        Assert.Equal(1, e.Drops);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Closed_port_answers_port_unreachable_quoting_the_datagram(bool v6)
    {
        var u = new UdpHarness();
        u.LearnPeer(v6);
        var frame = Datagram(Peer(v6), Our(v6), 5000, 4444, Bytes("anyone?"));

        u.Inject(frame);

        var reply = u.H.Next();
        var ip = reply.Extract<IPPacket>();
        Assert.Equal((Our(v6).ToIPAddress(), Peer(v6).ToIPAddress()), (ip.SourceAddress, ip.DestinationAddress));
        if (v6)
        {
            var icmp = reply.Extract<IcmpV6Packet>();
            Assert.Equal((IcmpV6Type.DestinationUnreachable, (byte)4), (icmp.Type, icmp.Code));
            Assert.Equal(frame[14..], icmp.Bytes[8..]);
        }
        else
        {
            var icmp = reply.Extract<IcmpV4Packet>();
            Assert.Equal(IcmpV4TypeCode.UnreachablePort, icmp.TypeCode);
            Assert.Equal(frame[14..], icmp.Data);
        }
        Assert.Equal(1, u.Udp.Statistics.NoPorts);
        Assert.Equal(1, u.H.Host.Rejects[Layer.Udp, RejectReason.NoListener]);
    }

    [Theory]
    [InlineData("192.0.2.255")]
    [InlineData("255.255.255.255")]
    [InlineData("224.0.0.1")]
    [InlineData("ff02::1")]
    public void Broadcast_or_multicast_to_a_closed_port_gets_no_port_unreachable(string group)
    {
        var u = new UdpHarness();
        var dst = IpAddress.Parse(group);
        bool v6 = dst.IsIpv6;
        u.LearnPeer(v6);

        u.Inject(Datagram(Peer(v6), dst, 5000, 4444, Bytes("hello all"), toMac: v6 ? MacAddress.ForIpv6Multicast(dst.V6) : MacAddress.Broadcast));

        u.H.ExpectNothing();
        Assert.Equal(1, u.Udp.Statistics.NoPorts);
    }

    [Fact]
    public void Broadcast_reaches_wildcard_binds_not_specific_ones()
    {
        var u = new UdpHarness();
        var wildcard = u.Bound(IpAddress.AnyV4, 67, reuse: true);
        var specific = u.Bound(Our4, 67, reuse: true);

        u.Inject(Datagram(Peer4, IpAddress.Parse("192.0.2.255"), 5000, 67, Bytes("all"), toMac: MacAddress.Broadcast));

        Assert.Equal("all", Take(wildcard).Text);
        Assert.Equal(0, specific.QueuedCount);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Port_unreachable_refuses_the_next_send_or_receive_of_a_connected_endpoint(bool v6)
    {
        var u = new UdpHarness();
        u.LearnPeer(v6);
        var e = u.Udp.Open(Family(v6));
        Assert.Equal(SocketError.Success, u.Udp.Connect(e, Peer(v6), 9999));
        Assert.Equal(Our(v6), e.LocalAddress);
        int readable = 0;
        e.Readable = _ => readable++;
        Assert.Equal(SocketError.Success, u.Udp.SendTo(e, Peer(v6), 9999, Bytes("knock"), u.H.Now));
        var sent = u.H.NextRaw();

        u.Inject(IcmpError(v6, sent.AsSpan(14), code: v6 ? (byte)4 : (byte)3));

        Assert.Equal(1, readable); // a waiting receive wakes up to fail
        Assert.Equal(SocketError.ConnectionRefused, e.PendingError);
        Assert.Equal(SocketError.ConnectionRefused, u.Udp.SendTo(e, Peer(v6), 9999, Bytes("again"), u.H.Now));
        u.H.ExpectNothing();
        Assert.Equal(SocketError.Success, u.Udp.SendTo(e, Peer(v6), 9999, Bytes("again"), u.H.Now)); // reported once
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Unconnected_endpoint_ignores_ICMP_errors(bool v6)
    {
        var u = new UdpHarness();
        u.LearnPeer(v6);
        var e = u.Bound(Any(v6), 0);
        Assert.Equal(SocketError.Success, u.Udp.SendTo(e, Peer(v6), 9999, Bytes("knock"), u.H.Now));
        var sent = u.H.NextRaw();

        u.Inject(IcmpError(v6, sent.AsSpan(14), code: v6 ? (byte)4 : (byte)3));

        Assert.Equal(SocketError.Success, e.PendingError);
        Assert.Equal(SocketError.Success, u.Udp.SendTo(e, Peer(v6), 9999, Bytes("again"), u.H.Now));
    }

    [Fact]
    public void Soft_ICMP_errors_do_not_fail_a_connected_endpoint()
    {
        var u = new UdpHarness();
        u.LearnPeer(false);
        var e = u.Udp.Open(AddressFamily.InterNetwork);
        u.Udp.Connect(e, Peer4, 9999);
        u.Udp.SendTo(e, Peer4, 9999, Bytes("knock"), u.H.Now);
        var sent = u.H.NextRaw();

        u.Inject(IcmpError(false, sent.AsSpan(14), code: 1)); // host unreachable: may be transient

        Assert.Equal(SocketError.Success, e.PendingError);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Sent_datagrams_carry_a_valid_checksum_and_the_bound_port(bool v6)
    {
        var u = new UdpHarness();
        u.LearnPeer(v6);
        var e = u.Bound(Any(v6), 1234);

        Assert.Equal(SocketError.Success, u.Udp.SendTo(e, Peer(v6), 7, Bytes("payload"), u.H.Now));

        var udp = u.H.Next().Extract<UdpPacket>();
        Assert.True(udp.ValidUdpChecksum);
        Assert.Equal((1234, 7), (udp.SourcePort, udp.DestinationPort));
        Assert.Equal(Bytes("payload"), udp.PayloadData);
        Assert.Equal(1, u.Udp.Statistics.DatagramsSent);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Ipv4_datagrams_carry_DF_only_under_IP_PMTUDISC_DO(bool dontFragment)
    {
        // Linux ip_dont_fragment: IP_PMTUDISC_DO sets DF on every datagram; here the default leaves it clear.
        var u = new UdpHarness();
        u.LearnPeer(false);
        var e = u.Bound(Any(false), 1234);
        e.DontFragment = dontFragment;

        Assert.Equal(SocketError.Success, u.Udp.SendTo(e, Peer4, 7, Bytes("payload"), u.H.Now));

        var ip = u.H.NextRaw().AsSpan(14);
        Assert.Equal(dontFragment, (ip[6] & 0x40) != 0);
    }

    [Fact]
    public void Bad_checksum_is_counted_and_dropped_silently()
    {
        var u = new UdpHarness();
        var e = u.Bound(IpAddress.AnyV4, 7);

        u.Inject(Datagram(Peer4, Our4, 5000, 7, Bytes("x"), corrupt: true));

        Assert.Equal(0, e.QueuedCount);
        Assert.Equal(1, u.H.Host.Rejects[Layer.Udp, RejectReason.BadChecksum]);
        Assert.Equal(1, u.Udp.Statistics.InErrors);
        u.H.ExpectNothing();
    }

    [Theory]
    [InlineData(false, 1)]
    [InlineData(true, 0)]
    public void Zero_checksum_is_accepted_over_IPv4_and_dropped_over_IPv6(bool v6, int queued)
    {
        var u = new UdpHarness();
        var e = u.Bound(Any(v6), 7);

        u.Inject(Datagram(Peer(v6), Our(v6), 5000, 7, Bytes("no checksum"), zeroChecksum: true));

        Assert.Equal(queued, e.QueuedCount);
        Assert.Equal(1 - queued, u.H.Host.Rejects[Layer.Udp, RejectReason.BadChecksum]);
    }

    [Theory]
    [InlineData(false, 65507)]
    [InlineData(true, 65527)]
    public void Datagrams_over_the_maximum_size_fail_with_message_too_long(bool v6, int max)
    {
        var u = new UdpHarness();
        var e = u.Bound(Any(v6), 0);

        Assert.Equal(SocketError.MessageSize, u.Udp.SendTo(e, Peer(v6), 7, new byte[max + 1], u.H.Now));
        Assert.Equal(max, UdpLayer.MaxPayload(Family(v6)));
        u.H.ExpectNothing();
    }

    [Fact]
    public void Binding_a_used_port_fails_with_address_in_use_unless_all_reuse_it()
    {
        var u = new UdpHarness();
        var first = u.Bound(IpAddress.AnyV4, 7);

        Assert.Equal(SocketError.AddressAlreadyInUse, u.Udp.Bind(u.Udp.Open(AddressFamily.InterNetwork), IpAddress.AnyV4, 7));
        Assert.Equal(SocketError.AddressAlreadyInUse, u.Udp.Bind(u.Udp.Open(AddressFamily.InterNetwork), Our4, 7));
        var reuser = u.Udp.Open(AddressFamily.InterNetwork);
        reuser.ReuseAddress = true;
        Assert.Equal(SocketError.AddressAlreadyInUse, u.Udp.Bind(reuser, IpAddress.AnyV4, 7)); // the first did not agree
        Assert.Equal(SocketError.Success, u.Udp.Bind(u.Udp.Open(AddressFamily.InterNetworkV6), IpAddress.AnyV6, 7));

        u.Udp.Close(first);
        Assert.Equal(SocketError.Success, u.Udp.Bind(u.Udp.Open(AddressFamily.InterNetwork), IpAddress.AnyV4, 7));
    }

    [Fact]
    public void Binding_an_address_that_is_not_ours_or_twice_fails()
    {
        var u = new UdpHarness();
        Assert.Equal(SocketError.AddressNotAvailable, u.Udp.Bind(u.Udp.Open(AddressFamily.InterNetwork), Peer4, 7));
        Assert.Equal(SocketError.AddressFamilyNotSupported, u.Udp.Bind(u.Udp.Open(AddressFamily.InterNetwork), IpAddress.AnyV6, 7));
        var e = u.Bound(IpAddress.AnyV4, 7);
        Assert.Equal(SocketError.InvalidArgument, u.Udp.Bind(e, IpAddress.AnyV4, 8));
    }

    [Fact]
    public void Ephemeral_ports_are_random_in_the_dynamic_range()
    {
        var u = new UdpHarness();
        var ports = Enumerable.Range(0, 200).Select(_ => u.Bound(IpAddress.AnyV4, 0).LocalPort).ToList();

        Assert.All(ports, p => Assert.InRange(p, (ushort)49152, (ushort)65535));
        Assert.Equal(ports.Count, ports.Distinct().Count());
        Assert.True(ports.Zip(ports.Skip(1)).Count(p => p.Second == p.First + 1) < 5, "ports should not be sequential");
    }

    [Fact]
    public void Ephemeral_allocation_skips_ports_in_use_and_fails_when_all_are_taken()
    {
        var u = new UdpHarness();
        for (int p = RandomPorts.First; p <= RandomPorts.Last; p++)
            if (p != 50000) u.Bound(p % 2 == 0 ? IpAddress.AnyV4 : IpAddress.AnyV6, (ushort)p);

        Assert.Equal(50000, u.Bound(IpAddress.AnyV4, 0).LocalPort);
        Assert.Equal(SocketError.AddressNotAvailable, u.Udp.Bind(u.Udp.Open(AddressFamily.InterNetwork), IpAddress.AnyV4, 0));
    }

    [Fact]
    public void Sending_from_an_unbound_endpoint_binds_an_ephemeral_port()
    {
        var u = new UdpHarness();
        u.LearnPeer(false);
        var e = u.Udp.Open(AddressFamily.InterNetwork);

        Assert.Equal(SocketError.Success, u.Udp.SendTo(e, Peer4, 7, Bytes("hi"), u.H.Now));

        Assert.InRange(e.LocalPort, (ushort)49152, (ushort)65535);
        Assert.Equal(e.LocalPort, u.H.Next().Extract<UdpPacket>().SourcePort);
        u.Inject(Datagram(Peer4, Our4, 7, e.LocalPort, Bytes("hi")));
        Assert.Equal("hi", Take(e).Text);
    }

    [Fact]
    public void Close_frees_the_port_and_the_queue()
    {
        var u = new UdpHarness();
        u.LearnPeer(false);
        var e = u.Bound(IpAddress.AnyV4, 7);
        u.Inject(Datagram(Peer4, Our4, 5000, 7, Bytes("queued")));

        u.Udp.Close(e);

        Assert.Equal((0, 0), (e.QueuedCount, e.QueuedBytes));
        Assert.False(u.Udp.InUse(7));
        Assert.Equal(SocketError.OperationAborted, u.Udp.SendTo(e, Peer4, 7, Bytes("late"), u.H.Now));
        u.Inject(Datagram(Peer4, Our4, 5000, 7, Bytes("after close")));
        u.H.Next(); // port unreachable now
    }
}
