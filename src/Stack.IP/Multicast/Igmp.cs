using Stack.IP.Wire;
using Stack.Link.Diagnostics;
using Stack.Link.Time;
using Stack.Link.Wire;

namespace Stack.IP.Multicast;

/// <summary>
/// IGMP for a host: IGMPv3 (RFC 3376), with IGMPv2 (RFC 2236) or IGMPv1 (RFC 1112) when such a querier is heard.
/// Reports every IPv4 group the interface joined but all-hosts, 224.0.0.1 (RFC 3376 §5), with TTL 1 and a Router
/// Alert (§4).
/// </summary>
public sealed class Igmp : MembershipProtocol
{
    /// <summary>RFC 3376 §4.2.14: IGMPv3 reports go to all IGMPv3-capable routers, 224.0.0.22.</summary>
    public static readonly Ipv4Address AllIgmpv3Routers = new(0xE000_0016);

    /// <summary>224.0.0.1, all systems on the link.</summary>
    public static readonly Ipv4Address AllHosts = new(0xE000_0001);

    /// <summary>224.0.0.2, all routers on the link (RFC 2236 §3: where leaves go).</summary>
    public static readonly Ipv4Address AllRouters = new(0xE000_0002);

    /// <summary>What a report's IPv4 packet adds before the message: a header with the 4-byte Router Alert option.</summary>
    internal const int Overhead = Ipv4Header.MinLength + Ipv4Header.RouterAlertLength;

    private readonly IpHost _host;
    private readonly byte[] _v2 = new byte[IgmpMessage.MinLength];

    internal Igmp(IpHost host, MembershipOptions options, Random random)
        : base(options, random, latestVersion: 3, host.Mtu)
    {
        _host = host;
        MaxReportLength = host.Mtu - Overhead;
    }

    private protected override int MaxReportLength { get; }

    private protected override byte ReportType => MembershipReport.IgmpV3Type;

    private protected override bool IsReported(IpAddress group) => group.V4 != AllHosts;

    /// <summary>IGMPv1 has no leave message.</summary>
    private protected override bool HasLeaveMessage(int version) => version >= 2;

    /// <summary>
    /// An IGMP message. We drop one whose TTL is not 1 (RFC 3376 §4 sends only those) and an IGMPv2 or IGMPv3
    /// query without a Router Alert (§9.1 says a host SHOULD); Linux's igmp_rcv checks neither.
    /// </summary>
    internal void OnMessage(ReadOnlySpan<byte> bytes, byte ttl, bool routerAlert, Instant now)
    {
        if (!IgmpMessage.TryParse(bytes, out var igmp, out var reason))
        {
            Reject(reason);
            return;
        }
        if (ttl != 1)
        {
            Reject(RejectReason.HopLimit);
            return;
        }
        var group = igmp.Group;
        if (!group.IsUnspecified && !group.IsMulticast)
        {
            Reject(RejectReason.BadAddress);
            return;
        }
        switch (igmp.Type)
        {
            case IgmpType.MembershipQuery:
                if (igmp.QueryVersion > 1 && !routerAlert)
                {
                    Reject(RejectReason.NoRouterAlert);
                    return;
                }
                OnQuery(new MembershipQuery(igmp.QueryVersion, group, igmp.MaxResponseDelay, igmp.QuerierRobustness, igmp.Sources), now);
                break;
            case IgmpType.V1MembershipReport:
            case IgmpType.V2MembershipReport:
                OnReportHeard(group, now);
                break;
            // Leaves and IGMPv3 reports are for routers.
        }
    }

    private protected override void SendReport(Span<byte> message, Instant now)
    {
        MembershipReport.FillPlainChecksum(message);
        _host.SendWithRouterAlert(Source, AllIgmpv3Routers, message);
    }

    private protected override void SendOlderMessage(IpAddress group, int version, bool leave, Instant now)
    {
        var type = leave ? IgmpType.V2LeaveGroup : version == 1 ? IgmpType.V1MembershipReport : IgmpType.V2MembershipReport;
        int length = IgmpMessage.WriteV2(_v2, type, group.V4);
        _host.SendWithRouterAlert(Source, leave ? AllRouters : group.V4, _v2.AsSpan(0, length));
    }

    /// <summary>The interface's first IPv4 address, or 0.0.0.0 before it has one (RFC 3376 §4.2.13 allows it).</summary>
    private Ipv4Address Source
    {
        get
        {
            foreach (var a in _host.Addresses)
                if (a.Address.IsIpv4) return a.Address.V4;
            return Ipv4Address.Any;
        }
    }

    private void Reject(RejectReason reason) => _host.Reject(Layer.Igmp, reason);
}
