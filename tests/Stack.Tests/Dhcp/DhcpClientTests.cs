using Stack.IP;
using Stack.Link.Diagnostics;
using Stack.Link.Wire;
using Stack.Sockets.Dhcp;
using Stack.Sockets.Dhcp.Wire;

namespace Stack.Tests.Dhcp;

public sealed class DhcpClientTests
{
    private static readonly IpAddress Leased = Ipv4Address.Parse("192.0.2.100");

    private static DhcpNet BoundNet()
    {
        var net = new DhcpNet();
        net.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(DhcpState.Bound, net.Dhcp.Client.State);
        return net;
    }

    [Fact]
    public void Discover_offer_request_ack_probe_then_bound_with_address_router_and_dns()
    {
        var net = BoundNet();
        Assert.Equal([1, 3], net.Requests.Select(r => (int)r.Type));
        var discover = net.Requests[0];
        Assert.True(discover.Source.IsUnspecified, "DISCOVER leaves from 0.0.0.0");
        Assert.True(discover.BroadcastFlag);
        var request = net.Requests[1];
        Assert.Equal(discover.Xid, request.Xid);
        Assert.Equal([192, 0, 2, 100], request.Option(50));
        Assert.Equal([192, 0, 2, 1], request.Option(54));
        Assert.Contains(net.ArpSeen, a => a.Sender.IsUnspecified && a.Target == Leased.V4); // RFC 5227 probe
        Assert.True(net.Client.IsLocal(Leased));
        Assert.Equal((IpAddress)DhcpNet.ServerIp, net.Client.Routes.GatewayV4);
        Assert.Equal([DhcpNet.ServerIp], net.Dhcp.DnsServers);
        var lease = net.Dhcp.Lease!;
        Assert.Equal(24, lease.Address.PrefixLength);
        Assert.Equal(TimeSpan.FromSeconds(100), lease.Duration);
        Assert.Equal(TimeSpan.FromSeconds(40), lease.RenewalTime);
        Assert.Equal(TimeSpan.FromSeconds(70), lease.RebindingTime);
        Assert.Equal(DhcpEventKind.Bound, Assert.Single(net.Events).Kind);
    }

    [Fact]
    public void Renews_at_T1_by_unicast_from_the_leased_address()
    {
        var net = BoundNet();
        int before = net.Requests.Count;
        net.Advance(TimeSpan.FromSeconds(40));
        var renew = net.Requests[before];
        Assert.Equal(3, renew.Type);
        Assert.Equal(Leased.V4, renew.Source);
        Assert.Equal(Leased.V4, renew.Ciaddr);
        Assert.Null(renew.Option(54)); // RFC 2131 table 5: no server identifier when renewing
        Assert.Equal(DhcpEventKind.Renewed, net.Events[^1].Kind);
        Assert.Equal(DhcpState.Bound, net.Dhcp.Client.State);
        Assert.Equal(1, net.Dhcp.Client.Statistics.Renewals);
    }

    [Fact]
    public void Without_its_server_it_rebinds_at_T2_by_broadcast_then_gives_the_address_up_at_expiry()
    {
        var net = BoundNet();
        net.Answer = _ => null;
        net.Advance(TimeSpan.FromSeconds(68));
        Assert.Equal(DhcpState.Renewing, net.Dhcp.Client.State);
        net.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(DhcpState.Rebinding, net.Dhcp.Client.State);
        var rebind = net.Requests[^1];
        Assert.Equal(Leased.V4, rebind.Ciaddr);
        Assert.True(net.Client.IsLocal(Leased));
        net.Advance(TimeSpan.FromSeconds(30));
        Assert.False(net.Client.IsLocal(Leased));
        Assert.Null(net.Client.Routes.GatewayV4);
        Assert.Null(net.Dhcp.Lease);
        Assert.Equal(DhcpEventKind.Expired, net.Events[^1].Kind);
        Assert.Equal(DhcpState.Selecting, net.Dhcp.Client.State); // starting over, DISCOVER asking for the old address
        Assert.Equal([192, 0, 2, 100], net.Requests[^1].Option(50));
    }

    [Fact]
    public void A_nak_to_a_renewal_withdraws_the_address_and_starts_over()
    {
        var net = BoundNet();
        net.Answer = r => r.Type == 3 && !r.Ciaddr.IsUnspecified ? r.Reply(6, "0.0.0.0") : null;
        net.Advance(TimeSpan.FromSeconds(41));
        Assert.False(net.Client.IsLocal(Leased));
        Assert.Equal(DhcpEventKind.Nak, net.Events[^1].Kind);
        Assert.Equal(1, net.Dhcp.Client.Statistics.Naks);
        Assert.Equal(1, net.Requests[^1].Type); // DISCOVER
    }

    [Fact]
    public void An_address_in_use_is_declined_and_the_client_waits_before_starting_over()
    {
        var net = new DhcpNet();
        net.Squatter = Leased.V4;
        net.Advance(TimeSpan.FromSeconds(1));
        Assert.False(net.Client.IsLocal(Leased));
        var decline = net.Requests[^1];
        Assert.Equal(4, decline.Type);
        Assert.Equal([192, 0, 2, 100], decline.Option(50));
        Assert.Equal([192, 0, 2, 1], decline.Option(54));
        Assert.Equal(DhcpEventKind.Declined, net.Events[^1].Kind);
        int sent = net.Requests.Count;
        Assert.Equal(3, sent);
        net.Advance(TimeSpan.FromSeconds(8.5)); // declined at 1 s, now 10.5 s
        Assert.Equal(sent, net.Requests.Count); // RFC 2131 §3.1.5: at least 10 s
        net.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(1, net.Requests[sent].Type);
    }

    [Fact]
    public void Retransmits_with_doubling_backoff_and_a_new_xid_for_each_exchange()
    {
        var net = new DhcpNet();
        net.Answer = _ => null;
        net.Advance(TimeSpan.FromSeconds(7.5));
        // Sent at 0, 1, 3, 7 s (1 s initial, doubling), all with one xid.
        Assert.Equal(4, net.Requests.Count);
        Assert.Single(net.Requests.Select(r => r.Xid).Distinct());
        var renewNet = BoundNet();
        renewNet.Advance(TimeSpan.FromSeconds(40));
        Assert.NotEqual(renewNet.Requests[0].Xid, renewNet.Requests[^1].Xid);
    }

    [Fact]
    public void Init_reboot_asks_for_the_previous_address_without_a_server_identifier()
    {
        var net = new DhcpNet(DhcpNet.Fast with { PreviousAddress = Leased.V4 });
        net.Answer = r => r.Reply(5, "192.0.2.100");
        net.Advance(TimeSpan.FromSeconds(1));
        var first = net.Requests[0];
        Assert.Equal(3, first.Type);
        Assert.Equal([192, 0, 2, 100], first.Option(50));
        Assert.Null(first.Option(54));
        Assert.True(net.Client.IsLocal(Leased));
    }

    public static TheoryData<string, DhcpRejectReason> Malformed => new()
    {
        { "truncated", DhcpRejectReason.Truncated },
        { "wrong xid", DhcpRejectReason.WrongXid },
        { "wrong chaddr", DhcpRejectReason.WrongClientAddress },
        { "bad mask", DhcpRejectReason.BadOption },
        { "option overrun", DhcpRejectReason.Truncated },
        { "no message type", DhcpRejectReason.MissingMessageType },
        { "bad cookie", DhcpRejectReason.BadMagicCookie },
        { "a request", DhcpRejectReason.NotAReply },
        { "no lease time", DhcpRejectReason.MissingLeaseTime },
        { "broadcast yiaddr", DhcpRejectReason.BadYourAddress },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public void Malformed_or_mismatched_replies_are_rejected_typed_counted_and_never_applied(string kind, DhcpRejectReason expected)
    {
        var net = new DhcpNet();
        FakeRequest? discover = null;
        net.Answer = r => { discover ??= r; return null; };
        net.Advance(TimeSpan.Zero);
        var d = discover!;
        byte[] offer = d.Reply(2, "192.0.2.100");
        byte[] bad = kind switch
        {
            "truncated" => offer[..200],
            "wrong xid" => d.Reply(2, "192.0.2.100", xid: d.Xid + 1),
            "wrong chaddr" => With(offer, 28, 0x0a),
            "bad mask" => d.Reply(2, "192.0.2.100", moreOptions: o => o.AddRange([1, 4, 255, 0, 255, 0])),
            "option overrun" => [.. offer[..^1], 6, 40, 1, 2],
            "no message type" => With(With(With(offer, 240, 0), 241, 0), 242, 0), // option 53 becomes pads
            "bad cookie" => With(offer, 236, 98),
            "a request" => With(offer, 0, 1),
            "no lease time" => d.Reply(2, "192.0.2.100"),
            _ => d.Reply(2, "255.255.255.255"),
        };
        if (kind == "no lease time")
        {
            // Take the offer, then answer the REQUEST with an ACK that lacks option 51.
            net.Inject(offer);
            net.Pump();
            var request = net.Requests[^1];
            bad = request.Reply(5, "192.0.2.100");
            int at = IndexOf(bad, 51);
            bad = [.. bad[..at], .. bad[(at + 6)..]];
        }
        net.Inject(bad);
        net.Pump();
        Assert.Equal(1, net.Dhcp.Client.Statistics[expected]);
        Assert.True(net.Client.Rejects.Total(Layer.Dhcp) >= 1);
        Assert.False(net.Client.IsLocal(Leased));
        Assert.Null(net.Dhcp.Lease);
    }

    [Fact]
    public void A_well_formed_offer_parses_with_its_mask_as_a_prefix()
    {
        Assert.Equal(24, DhcpReply.TryParse(new FakeRequest(new byte[300], default).Reply(2, "192.0.2.7"), out var r, out _) ? r.PrefixLength : -1);
        Assert.Equal(DhcpMessageType.Offer, r.Type);
    }

    private static byte[] With(byte[] b, int at, byte value)
    {
        var copy = (byte[])b.Clone();
        copy[at] = value;
        return copy;
    }

    /// <summary>The offset of option <paramref name="code"/> in a reply built by <see cref="FakeRequest.Reply"/>.</summary>
    private static int IndexOf(byte[] m, byte code)
    {
        for (int i = 240; i < m.Length;) { if (m[i] == code) return i; i += 2 + m[i + 1]; }
        throw new InvalidOperationException($"no option {code}");
    }
}
