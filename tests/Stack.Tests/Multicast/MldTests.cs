using Stack.IP;
using Stack.IP.Multicast;
using Stack.IP.Routing;
using Stack.IP.Wire;
using Stack.Link.Diagnostics;
using Stack.Link.Wire;
using static Stack.Tests.IP.HostHarness;
using static Stack.Tests.Multicast.MembershipHarness;

namespace Stack.Tests.Multicast;

public sealed class MldTests
{
    /// <summary>2001:db8::2 and fe80::ff:fe00:2 (from the MAC) share their low 24 bits, so one solicited-node group.</summary>
    private static readonly Ipv6Address SolicitedNode = Our6.SolicitedNodeMulticast;
    private static readonly Ipv6Address AppGroup = Ipv6Address.Parse("ff05::1234");

    private static ReportRecord Rec(MembershipRecordType type, Ipv6Address group, params Ipv6Address[] sources) =>
        new(type, group, [.. sources.Select(s => (IpAddress)s)]);

    private static void AssertMldv2Report(Sent r, params ReportRecord[] records)
    {
        Assert.Equal(MacAddress.ForIpv6Multicast(Mld.AllMldv2Routers), r.EthernetDestination);
        Assert.Equal((IpAddress)Mld.AllMldv2Routers, r.Destination);
        Assert.True(r.Source.V6.IsLinkLocal, $"source {r.Source} is not link-local");
        Assert.Equal(1, r.HopLimit);
        Assert.True(r.RouterAlert, "no Router Alert");
        Assert.Equal(MembershipReport.MldV2Type, r.Type);
        Assert.Equal(records.Select(x => x.ToString()).Order(), r.Records.Select(x => x.ToString()).Order());
    }

    [Fact]
    public void Start_reports_the_solicited_node_group_robustness_times_and_never_all_nodes()
    {
        var h = Host();
        h.Advance(TimeSpan.Zero);
        AssertMldv2Report(h.NextMembership(), Rec(MembershipRecordType.ChangeToExclude, SolicitedNode));
        h.ExpectNothing();

        for (int i = 0; i < 10; i++) h.Advance(TimeSpan.FromMilliseconds(100)); // within the Unsolicited Report Interval
        AssertMldv2Report(h.NextMembership(), Rec(MembershipRecordType.ChangeToExclude, SolicitedNode));
        h.Advance(TimeSpan.FromSeconds(30));
        h.ExpectNothing();
        Assert.Equal(2, h.Host.Mld.ReportsSent);
        Assert.True(h.Host.IsJoined(Ipv6Address.AllNodes));
    }

    [Fact]
    public void An_address_added_later_brings_its_solicited_node_group_and_takes_it_away_again()
    {
        var h = Host();
        h.Settle();
        var added = InterfaceAddress.Parse("2001:db8::1:5/64");
        var group = added.Address.V6.SolicitedNodeMulticast;

        h.Host.AddAddress(added, h.Now);
        h.NextRaw(); // its unsolicited neighbour advertisement
        h.Advance(TimeSpan.Zero);
        AssertMldv2Report(h.NextMembership(), Rec(MembershipRecordType.ChangeToExclude, group));
        Assert.True(h.Host.IsJoined(group));

        h.Settle();
        h.Host.RemoveAddress(added.Address, h.Now);
        h.Advance(TimeSpan.Zero);
        AssertMldv2Report(h.NextMembership(), Rec(MembershipRecordType.ChangeToInclude, group));
        Assert.False(h.Host.IsJoined(group));
        Assert.True(h.Host.IsJoined(SolicitedNode)); // still the link-local's and 2001:db8::2's
    }

    [Fact]
    public void General_query_is_answered_once_within_its_max_response_delay_with_every_group()
    {
        var h = Host();
        h.Host.JoinGroup(AppGroup, h.Now);
        h.Settle();

        h.Inject(MldQuery(Ipv6Address.Unspecified, maxResponseCode: 2000));
        h.Inject(MldQuery(Ipv6Address.Unspecified, maxResponseCode: 2000)); // a second one changes nothing sooner
        h.ExpectNothing();
        for (int i = 0; i < 20; i++) h.Advance(TimeSpan.FromMilliseconds(100));
        AssertMldv2Report(h.NextMembership(),
            Rec(MembershipRecordType.ModeIsExclude, SolicitedNode), Rec(MembershipRecordType.ModeIsExclude, AppGroup));
        h.Advance(TimeSpan.FromSeconds(10));
        h.ExpectNothing();
        Assert.Equal(2, h.Host.Mld.QueriesReceived);
    }

    [Fact]
    public void Group_specific_and_group_and_source_specific_queries_are_answered_for_that_group()
    {
        var h = Host();
        h.Host.JoinGroup(AppGroup, h.Now);
        h.Settle();
        var s1 = Ipv6Address.Parse("2001:db8::a");
        var s2 = Ipv6Address.Parse("2001:db8::b");

        h.Inject(MldQuery(AppGroup, maxResponseCode: 1000));
        h.Advance(TimeSpan.FromSeconds(1));
        AssertMldv2Report(h.NextMembership(), Rec(MembershipRecordType.ModeIsExclude, AppGroup));

        h.Inject(MldQuery(AppGroup, maxResponseCode: 1000, sources: [s1]));
        h.Inject(MldQuery(AppGroup, maxResponseCode: 1000, sources: [s2, s1]));
        h.Advance(TimeSpan.FromSeconds(1));
        AssertMldv2Report(h.NextMembership(), Rec(MembershipRecordType.ModeIsInclude, AppGroup, s1, s2));

        h.Inject(MldQuery(Ipv6Address.Parse("ff05::999"), maxResponseCode: 1000)); // not ours
        h.Advance(TimeSpan.FromSeconds(2));
        h.ExpectNothing();
    }

    [Fact]
    public void Leaving_reports_change_to_include_robustness_times_and_closes_the_link_filter()
    {
        var h = Host();
        h.Host.JoinGroup(AppGroup, h.Now);
        h.Host.JoinGroup(AppGroup, h.Now); // two users
        h.Settle();

        Assert.False(h.Host.LeaveGroup(AppGroup, h.Now)); // one user is left
        h.Advance(TimeSpan.Zero);
        h.ExpectNothing();
        Assert.True(h.Host.LeaveGroup(AppGroup, h.Now));
        h.Advance(TimeSpan.Zero);
        AssertMldv2Report(h.NextMembership(), Rec(MembershipRecordType.ChangeToInclude, AppGroup));
        for (int i = 0; i < 10; i++) h.Advance(TimeSpan.FromMilliseconds(100));
        AssertMldv2Report(h.NextMembership(), Rec(MembershipRecordType.ChangeToInclude, AppGroup));
        Assert.False(h.Host.LeaveGroup(AppGroup, h.Now));

        long before = h.Host.Rejects[Layer.Ethernet, RejectReason.NotForUs];
        h.Inject(Stack.Tests.Udp.UdpHarness.Datagram(Peer6, AppGroup, 1, 2, "x"u8));
        Assert.Equal(before + 1, h.Host.Rejects[Layer.Ethernet, RejectReason.NotForUs]);
    }

    [Fact]
    public void An_mldv1_querier_puts_the_host_in_mldv1_mode_reports_to_the_group_and_done_to_all_routers()
    {
        var h = Host();
        h.Host.JoinGroup(AppGroup, h.Now);
        h.Settle();

        h.Inject(MldQuery(Ipv6Address.Unspecified, maxResponseCode: 1000, v1: true));
        Assert.Equal(1, h.Host.Mld.CompatibilityVersion(h.Now));
        h.Advance(TimeSpan.FromSeconds(1));
        var reports = h.AllMembership();
        Assert.Equal([SolicitedNode.ToString(), AppGroup.ToString()], reports.Select(r => r.Destination.ToString()).Order().ToArray());
        Assert.All(reports, r =>
        {
            Assert.Equal((byte)Icmpv6Type.MulticastListenerReport, r.Type);
            Assert.Equal(r.Destination, r.Group);
            Assert.Equal(1, r.HopLimit);
            Assert.True(r.RouterAlert);
        });

        h.Host.LeaveGroup(AppGroup, h.Now);
        h.Advance(TimeSpan.Zero);
        var done = h.NextMembership();
        Assert.Equal((byte)Icmpv6Type.MulticastListenerDone, done.Type);
        Assert.Equal((IpAddress)Ipv6Address.AllRouters, done.Destination);
        Assert.Equal((IpAddress)AppGroup, done.Group);
        h.Advance(TimeSpan.FromSeconds(20));
        h.ExpectNothing();

        h.Advance(TimeSpan.FromSeconds(260)); // Older Version Querier Present Timeout: 2 × 125 s + 10 s
        Assert.Equal(2, h.Host.Mld.CompatibilityVersion(h.Now));
    }

    [Fact]
    public void In_mldv1_mode_another_hosts_report_suppresses_ours()
    {
        var h = Host();
        h.Host.JoinGroup(AppGroup, h.Now);
        h.Settle();

        h.Inject(MldQuery(AppGroup, maxResponseCode: 5000, v1: true));
        h.Inject(MldV1Report(AppGroup));
        h.Advance(TimeSpan.FromSeconds(6));
        h.ExpectNothing();
    }

    public static TheoryData<string, Layer, RejectReason> Malformed => new()
    {
        { "hop limit 255", Layer.Mld, RejectReason.HopLimit },
        { "no router alert", Layer.Mld, RejectReason.NoRouterAlert },
        { "global source", Layer.Mld, RejectReason.BadAddress },
        { "length 26", Layer.Mld, RejectReason.BadTotalLength },
        { "sources cut short", Layer.Mld, RejectReason.Truncated },
        { "length 20", Layer.Mld, RejectReason.Truncated },
        { "unicast group", Layer.Mld, RejectReason.BadAddress },
        { "bad checksum", Layer.Icmpv6, RejectReason.BadChecksum },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public void Malformed_queries_are_counted_and_never_answered(string what, Layer layer, RejectReason reason)
    {
        var h = Host();
        h.Settle();
        var g = Ipv6Address.Unspecified;
        byte[] query = what switch
        {
            "hop limit 255" => MldQuery(g, hopLimit: 255),
            "no router alert" => MldQuery(g, routerAlert: false),
            "global source" => MldQuery(g, from: Peer6),
            "length 26" => MldQuery(g, length: 26),
            "sources cut short" => MldQuery(g, sources: [Peer6, Our6], length: 40),
            "length 20" => MldQuery(g, length: 20, v1: true),
            "unicast group" => MldQuery(Peer6, to: Ipv6Address.AllNodes),
            _ => MldQuery(g, badChecksum: true),
        };

        h.Inject(query);
        h.Advance(TimeSpan.FromSeconds(15));

        h.ExpectNothing();
        Assert.Equal(1, h.Host.Rejects[layer, reason]);
        Assert.Equal(0, h.Host.Mld.QueriesReceived);
    }

    [Theory]
    [InlineData(1000, 1000)]
    [InlineData(0x8000, 32768)] // RFC 3810 §5.1.3: (0 | 0x1000) << (0 + 3)
    [InlineData(0xFFFF, 8387584)] // (0xFFF | 0x1000) << (7 + 3)
    public void Max_response_code_decodes_linearly_then_exponentially(ushort code, long milliseconds)
    {
        var frame = MldQuery(Ipv6Address.Unspecified, maxResponseCode: code);
        var icmp = frame.AsSpan(14 + 40 + 8);
        Assert.True(MldMessage.TryParse(icmp, out var query, out _));
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), query.MaxResponseDelay);
    }

    [Fact]
    public void A_silent_host_still_receives_its_groups_but_reports_nothing()
    {
        var h = Host(MembershipOptions.Silent);
        h.Host.JoinGroup(AppGroup, h.Now);
        h.Inject(MldQuery(Ipv6Address.Unspecified));
        h.Advance(TimeSpan.FromSeconds(30));
        h.ExpectNothing();
        Assert.True(h.Host.IsJoined(AppGroup));
    }
}
