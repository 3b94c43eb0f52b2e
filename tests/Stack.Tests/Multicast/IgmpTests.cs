using Stack.IP;
using Stack.IP.Multicast;
using Stack.IP.Wire;
using Stack.Link.Diagnostics;
using Stack.Link.Wire;
using static Stack.Tests.IP.HostHarness;
using static Stack.Tests.Multicast.MembershipHarness;

namespace Stack.Tests.Multicast;

public sealed class IgmpTests
{
    private static readonly Ipv4Address Group = Ipv4Address.Parse("239.1.2.3");

    private static void AssertIgmpv3Report(Sent r, params ReportRecord[] records)
    {
        Assert.Equal(MacAddress.ForIpv4Multicast(Igmp.AllIgmpv3Routers), r.EthernetDestination);
        Assert.Equal((IpAddress)Igmp.AllIgmpv3Routers, r.Destination);
        Assert.Equal((IpAddress)Our4, r.Source);
        Assert.Equal(1, r.HopLimit);
        Assert.True(r.RouterAlert, "no Router Alert");
        Assert.Equal(0xC0, r.TypeOfService);
        Assert.Equal(MembershipReport.IgmpV3Type, r.Type);
        Assert.Equal(records.Select(x => x.ToString()).Order(), r.Records.Select(x => x.ToString()).Order());
    }

    private static ReportRecord Rec(MembershipRecordType type, Ipv4Address group, params Ipv4Address[] sources) =>
        new(type, group, [.. sources.Select(s => (IpAddress)s)]);

    /// <summary>A host with MLD settled, so that what it sends next is IGMP.</summary>
    private static Stack.Tests.IP.HostHarness Settled()
    {
        var h = Host();
        h.Settle();
        return h;
    }

    [Fact]
    public void Joining_is_reported_robustness_times_and_all_hosts_never()
    {
        var h = Settled();
        Assert.True(h.Host.IsJoined(Igmp.AllHosts));

        Assert.True(h.Host.JoinGroup(Group, h.Now));
        h.Advance(TimeSpan.Zero);
        AssertIgmpv3Report(h.NextMembership(), Rec(MembershipRecordType.ChangeToExclude, Group));
        for (int i = 0; i < 10; i++) h.Advance(TimeSpan.FromMilliseconds(100));
        AssertIgmpv3Report(h.NextMembership(), Rec(MembershipRecordType.ChangeToExclude, Group));
        h.Advance(TimeSpan.FromSeconds(10));
        h.ExpectNothing();
    }

    [Fact]
    public void Queries_of_each_kind_are_answered_after_a_delay_within_their_max_response_time()
    {
        var h = Settled();
        h.Host.JoinGroup(Group, h.Now);
        h.Settle();
        var s = Ipv4Address.Parse("192.0.2.77");

        h.Inject(IgmpQuery(Ipv4Address.Any, maxResponseCode: 10)); // 1 s
        h.ExpectNothing();
        h.Advance(TimeSpan.FromSeconds(1));
        AssertIgmpv3Report(h.NextMembership(), Rec(MembershipRecordType.ModeIsExclude, Group));

        h.Inject(IgmpQuery(Group, maxResponseCode: 10));
        h.Advance(TimeSpan.FromSeconds(1));
        AssertIgmpv3Report(h.NextMembership(), Rec(MembershipRecordType.ModeIsExclude, Group));

        h.Inject(IgmpQuery(Group, maxResponseCode: 10, sources: [s]));
        h.Advance(TimeSpan.FromSeconds(1));
        AssertIgmpv3Report(h.NextMembership(), Rec(MembershipRecordType.ModeIsInclude, Group, s));
        Assert.Equal(3, h.Host.Igmp.QueriesReceived);
    }

    [Fact]
    public void An_igmpv2_querier_gets_v2_reports_to_the_group_and_a_leave_to_all_routers()
    {
        var h = Settled();
        h.Host.JoinGroup(Group, h.Now);
        h.Settle();

        h.Inject(IgmpQuery(Ipv4Address.Any, maxResponseCode: 10, version: 2));
        Assert.Equal(2, h.Host.Igmp.CompatibilityVersion(h.Now));
        h.Advance(TimeSpan.FromSeconds(1));
        var report = h.NextMembership();
        Assert.Equal((byte)IgmpType.V2MembershipReport, report.Type);
        Assert.Equal((IpAddress)Group, report.Destination);
        Assert.Equal((IpAddress)Group, report.Group);
        Assert.True(report.RouterAlert);
        h.ExpectNothing(); // all-hosts is never reported

        h.Host.LeaveGroup(Group, h.Now);
        h.Advance(TimeSpan.Zero);
        var leave = h.NextMembership();
        Assert.Equal((byte)IgmpType.V2LeaveGroup, leave.Type);
        Assert.Equal((IpAddress)Igmp.AllRouters, leave.Destination);
        h.Advance(TimeSpan.FromSeconds(20));
        h.ExpectNothing();
    }

    [Fact]
    public void An_igmpv1_querier_gets_v1_reports_and_no_leave()
    {
        var h = Settled();
        h.Host.JoinGroup(Group, h.Now);
        h.Settle();

        h.Inject(IgmpQuery(Ipv4Address.Any, version: 1, routerAlert: false)); // IGMPv1 knows no Router Alert
        Assert.Equal(1, h.Host.Igmp.CompatibilityVersion(h.Now));
        h.Advance(TimeSpan.FromSeconds(10)); // IGMPv1's fixed 10 s
        Assert.Equal((byte)IgmpType.V1MembershipReport, h.NextMembership().Type);

        h.Host.LeaveGroup(Group, h.Now);
        h.Advance(TimeSpan.Zero);
        h.ExpectNothing();
    }

    public static TheoryData<string, RejectReason> Malformed => new()
    {
        { "ttl 2", RejectReason.HopLimit },
        { "v3 without router alert", RejectReason.NoRouterAlert },
        { "v2 without router alert", RejectReason.NoRouterAlert },
        { "bad checksum", RejectReason.BadChecksum },
        { "length 10", RejectReason.BadTotalLength },
        { "sources cut short", RejectReason.Truncated },
        { "unicast group", RejectReason.BadAddress },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public void Malformed_queries_are_counted_and_never_answered(string what, RejectReason reason)
    {
        var h = Settled();
        h.Host.JoinGroup(Group, h.Now);
        h.Settle();
        var any = Ipv4Address.Any;
        byte[] query = what switch
        {
            "ttl 2" => IgmpQuery(any, ttl: 2),
            "v3 without router alert" => IgmpQuery(any, routerAlert: false),
            "v2 without router alert" => IgmpQuery(any, version: 2, routerAlert: false),
            "bad checksum" => IgmpQuery(any, badChecksum: true),
            "length 10" => IgmpQuery(any, length: 10),
            "sources cut short" => IgmpQuery(any, sources: [Peer4, Our4], length: 16),
            _ => IgmpQuery(Peer4),
        };
        if (what == "unicast group") query = UnicastGroupQuery();

        h.Inject(query);
        h.Advance(TimeSpan.FromSeconds(15));

        h.ExpectNothing();
        Assert.Equal(1, h.Host.Rejects[Layer.Igmp, reason]);
        Assert.Equal(0, h.Host.Igmp.QueriesReceived);
    }

    /// <summary>A query to all-hosts whose group field names a unicast address.</summary>
    private static byte[] UnicastGroupQuery()
    {
        var frame = IgmpQuery(Ipv4Address.Any);
        int igmp = 14 + 24;
        Peer4.Write(frame.AsSpan(igmp + 4));
        frame[igmp + 2] = frame[igmp + 3] = 0;
        MembershipReport.FillPlainChecksum(frame.AsSpan(igmp));
        return frame;
    }

    [Fact]
    public void Datagrams_reach_a_joined_group_and_stop_when_it_is_left()
    {
        var h = Settled();
        h.Host.JoinGroup(Group, h.Now);
        long before = h.Host.Statistics.Ipv4Delivered;
        h.Inject(Stack.Tests.Udp.UdpHarness.Datagram(Peer4, Group, 1, 2, "x"u8));
        Assert.Equal(before + 1, h.Host.Statistics.Ipv4Delivered);

        h.Host.LeaveGroup(Group, h.Now);
        h.Inject(Stack.Tests.Udp.UdpHarness.Datagram(Peer4, Group, 1, 2, "x"u8));
        Assert.Equal(before + 1, h.Host.Statistics.Ipv4Delivered);
        Assert.Equal(1, h.Host.Rejects[Layer.Ethernet, RejectReason.NotForUs]);

        // The same group's datagram on the broadcast address is filtered by IP instead.
        h.Inject(Stack.Tests.Udp.UdpHarness.Datagram(Peer4, Group, 1, 2, "x"u8, toMac: MacAddress.Broadcast));
        Assert.Equal(1, h.Host.Rejects[Layer.Ipv4, RejectReason.NotForUs]);
    }
}
