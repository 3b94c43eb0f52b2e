using Stack.IP.Wire;
using Stack.Link.Diagnostics;
using Stack.Link.Time;
using Stack.Link.Wire;

namespace Stack.IP.Multicast;

/// <summary>
/// Multicast Listener Discovery for a host: MLDv2 (RFC 3810), with MLDv1 (RFC 2710) when an MLDv1 querier is
/// heard. Reports every IPv6 group the interface joined but the all-nodes group and groups of interface-local or
/// reserved scope (§6), from the link-local address, with hop limit 1 and a Router Alert (§5).
/// </summary>
public sealed class Mld : MembershipProtocol
{
    /// <summary>RFC 3810 §5.2.14: MLDv2 reports go to all MLDv2-capable routers, ff02::16.</summary>
    public static readonly Ipv6Address AllMldv2Routers = new(new UInt128(0xFF02_0000_0000_0000UL, 0x16));

    /// <summary>The Router Alert value that says "MLD" (RFC 2711 §2.1).</summary>
    public const ushort RouterAlertMld = 0;

    /// <summary>What a report's IPv6 packet adds before the message: the header and an 8-byte Hop-by-Hop header.</summary>
    internal const int Overhead = Ipv6Header.Length + 8;

    private readonly IpHost _host;
    private readonly byte[] _v1 = new byte[MldMessage.V1Length];

    internal Mld(IpHost host, MembershipOptions options, Random random)
        : base(options, random, latestVersion: 2, host.Mtu)
    {
        _host = host;
        MaxReportLength = host.Mtu - Overhead;
    }

    private protected override int MaxReportLength { get; }

    private protected override byte ReportType => MembershipReport.MldV2Type;

    /// <summary>RFC 3810 §6: never ff02::1, nor a scope 0 (reserved) or 1 (interface-local) group.</summary>
    private protected override bool IsReported(IpAddress group) =>
        group.V6 != Ipv6Address.AllNodes && (int)(group.V6.Value >> 112 & 0xF) > 1;

    private protected override bool HasLeaveMessage(int version) => true;

    /// <summary>
    /// An MLD message (its ICMPv6 checksum checked). RFC 3810 §6.2 and Linux's igmp6_event_query: only from a
    /// link-local source, with hop limit 1 and the MLD Router Alert; Linux's ipv6_mc_check_mld asks the same of
    /// every MLD message, and so do we.
    /// </summary>
    internal void OnMessage(ReadOnlySpan<byte> icmp, Ipv6Address source, byte hopLimit, ushort? routerAlert, Instant now)
    {
        if (!MldMessage.TryParse(icmp, out var mld, out var reason))
        {
            Reject(reason);
            return;
        }
        if (hopLimit != 1)
        {
            Reject(RejectReason.HopLimit);
            return;
        }
        if (routerAlert != RouterAlertMld)
        {
            Reject(RejectReason.NoRouterAlert);
            return;
        }
        if (!source.IsLinkLocal)
        {
            Reject(RejectReason.BadAddress);
            return;
        }
        var group = mld.Group;
        if (!group.IsUnspecified && !group.IsMulticast)
        {
            Reject(RejectReason.BadAddress);
            return;
        }
        switch (mld.Type)
        {
            case Icmpv6Type.MulticastListenerQuery:
                OnQuery(new MembershipQuery(mld.QueryVersion, group, mld.MaxResponseDelay, mld.QuerierRobustness, mld.Sources), now);
                break;
            case Icmpv6Type.MulticastListenerReport:
                OnReportHeard(group, now);
                break;
            // Dones and MLDv2 reports are for routers.
        }
    }

    private protected override void SendReport(Span<byte> message, Instant now) => Send(message, AllMldv2Routers);

    private protected override void SendOlderMessage(IpAddress group, int version, bool leave, Instant now)
    {
        // RFC 2710 §4: a report goes to the group itself, a done to all routers.
        int length = MldMessage.WriteV1(_v1, leave ? Icmpv6Type.MulticastListenerDone : Icmpv6Type.MulticastListenerReport, group.V6);
        Send(_v1.AsSpan(0, length), leave ? Ipv6Address.AllRouters : group.V6);
    }

    private void Send(Span<byte> message, Ipv6Address destination)
    {
        // RFC 3810 §5: from the link-local address (there is always one here; it has no DAD to wait for).
        var source = _host.LinkLocal;
        Icmpv6Message.FillChecksum(message, source, destination);
        _host.SendWithRouterAlert(source, destination, message);
    }

    private void Reject(RejectReason reason) => _host.Reject(Layer.Mld, reason);
}
