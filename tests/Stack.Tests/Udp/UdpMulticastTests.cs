using System.Net.Sockets;
using Stack.IP;
using Stack.IP.Multicast;
using Stack.IP.Wire;
using Stack.Link.Diagnostics;
using Stack.Link.Wire;
using Stack.Udp;
using Stack.Tests.Multicast;
using static Stack.Tests.IP.HostHarness;
using static Stack.Tests.Udp.UdpHarness;

namespace Stack.Tests.Udp;

public sealed class UdpMulticastTests
{
    private static IpAddress Group(bool v6) => v6 ? IpAddress.Parse("ff02::1:3") : IpAddress.Parse("239.1.2.3");

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void An_endpoint_that_joined_receives_the_group_and_not_after_it_left(bool v6)
    {
        var u = new UdpHarness();
        var e = u.Bound(Any(v6), 5353);
        var group = Group(v6);

        u.Inject(Datagram(Peer(v6), group, 9, 5353, "before"u8));
        Assert.Equal(0, e.QueuedCount);

        Assert.Equal(SocketError.Success, u.Udp.JoinGroup(e, group, u.H.Now));
        u.Inject(Datagram(Peer(v6), group, 9, 5353, "joined"u8));
        Assert.Equal((Peer(v6), (ushort)9, "joined"), Take(e));

        Assert.Equal(SocketError.Success, u.Udp.LeaveGroup(e, group, u.H.Now));
        u.Inject(Datagram(Peer(v6), group, 9, 5353, "left"u8));
        Assert.Equal(0, e.QueuedCount);
        Assert.False(u.H.Host.IsJoined(group));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Join_and_leave_answer_as_linux_setsockopt_does(bool v6)
    {
        var u = new UdpHarness();
        var e = u.Bound(Any(v6), 5353);
        var group = Group(v6);

        Assert.Equal(SocketError.InvalidArgument, u.Udp.JoinGroup(e, Our(v6), u.H.Now));
        Assert.Equal(SocketError.AddressFamilyNotSupported, u.Udp.JoinGroup(e, Group(!v6), u.H.Now));
        Assert.Equal(SocketError.AddressNotAvailable, u.Udp.LeaveGroup(e, group, u.H.Now));
        Assert.Equal(SocketError.Success, u.Udp.JoinGroup(e, group, u.H.Now));
        Assert.Equal(SocketError.AddressAlreadyInUse, u.Udp.JoinGroup(e, group, u.H.Now));
        for (int i = 1; i < UdpLayer.MaxMembershipsPerEndpoint; i++)
            Assert.Equal(SocketError.Success, u.Udp.JoinGroup(e, v6 ? IpAddress.Parse($"ff05::{i:x}") : IpAddress.Parse($"239.0.0.{i}"), u.H.Now));
        Assert.Equal(SocketError.NoBufferSpaceAvailable, u.Udp.JoinGroup(e, v6 ? IpAddress.Parse("ff05::ffff") : IpAddress.Parse("239.0.1.1"), u.H.Now));
        Assert.Equal(UdpLayer.MaxMembershipsPerEndpoint, e.Groups.Count);

        u.Udp.Close(e);
        Assert.False(u.H.Host.IsJoined(group)); // closing left every group
    }

    [Fact]
    public void The_interface_stays_in_a_group_while_any_endpoint_is_in_it_and_multicast_all_off_filters_per_endpoint()
    {
        var u = new UdpHarness();
        var group = Group(false);
        var a = u.Bound(IpAddress.AnyV4, 5000, reuse: true);
        var b = u.Bound(IpAddress.AnyV4, 5000, reuse: true);
        var strict = u.Bound(IpAddress.AnyV4, 5000, reuse: true);
        strict.MulticastAll = false;
        u.Udp.JoinGroup(a, group, u.H.Now);
        u.Udp.JoinGroup(b, group, u.H.Now);
        u.Udp.LeaveGroup(b, group, u.H.Now);

        u.Inject(Datagram(Peer4, group, 9, 5000, "hi"u8));

        Assert.True(u.H.Host.IsJoined(group));
        Assert.Equal("hi", Take(a).Text);
        Assert.Equal("hi", Take(b).Text); // Linux's IP_MULTICAST_ALL = 1: the interface's groups reach every bind
        Assert.Equal(0, strict.QueuedCount); // IP_MULTICAST_ALL = 0: only groups it joined
    }

    [Fact]
    public void An_endpoint_bound_to_the_group_address_takes_that_group_only()
    {
        var u = new UdpHarness();
        var group = Group(false);
        var e = u.Bound(group, 5000);
        u.Udp.JoinGroup(e, group, u.H.Now);
        u.Udp.JoinGroup(e, IpAddress.Parse("239.9.9.9"), u.H.Now);

        u.Inject(Datagram(Peer4, IpAddress.Parse("239.9.9.9"), 9, 5000, "other"u8));
        u.Inject(Datagram(Peer4, group, 9, 5000, "mine"u8));

        Assert.Equal("mine", Take(e).Text);
        Assert.Equal(0, e.QueuedCount);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Group_datagrams_leave_with_hop_limit_1_unless_set_and_loop_back_to_our_members(bool v6)
    {
        var u = new UdpHarness();
        var group = Group(v6);
        var e = u.Bound(Any(v6), 5000);
        u.Udp.JoinGroup(e, group, u.H.Now);

        Assert.Equal(SocketError.Success, u.Udp.SendTo(e, group, 5000, "one"u8, u.H.Now));
        var frame = u.H.NextRaw();
        Assert.Equal(v6 ? MacAddress.ForIpv6Multicast(group.V6) : MacAddress.ForIpv4Multicast(group.V4), MacAddress.Read(frame));
        Assert.Equal(1, v6 ? frame[14 + 7] : frame[14 + 8]);
        Assert.Equal("one", Take(e).Text); // IP_MULTICAST_LOOP is on by default

        e.MulticastHopLimit = 5;
        e.MulticastLoopback = false;
        Assert.Equal(SocketError.Success, u.Udp.SendTo(e, group, 5000, "two"u8, u.H.Now));
        frame = u.H.NextRaw();
        Assert.Equal(5, v6 ? frame[14 + 7] : frame[14 + 8]);
        Assert.Equal(0, e.QueuedCount);
    }

    [Fact]
    public void Joining_and_leaving_through_an_endpoint_is_reported()
    {
        var u = new UdpHarness(new MembershipOptions());
        u.H.Settle();
        var e = u.Bound(IpAddress.AnyV6, 5000);
        var group = Ipv6Address.Parse("ff05::beef");

        u.Udp.JoinGroup(e, group, u.H.Now);
        u.H.Advance(TimeSpan.Zero);
        Assert.Equal(new ReportRecord(MembershipRecordType.ChangeToExclude, group, []).ToString(), u.H.NextMembership().Records.Single().ToString());
        u.H.Settle();

        u.Udp.Close(e); // no time is handed to Close: the leave goes at the next timer run
        Assert.True(u.H.Host.NextDeadline <= u.H.Now);
        u.H.Advance(TimeSpan.Zero);
        Assert.Equal(new ReportRecord(MembershipRecordType.ChangeToInclude, group, []).ToString(), u.H.NextMembership().Records.Single().ToString());
    }
}
