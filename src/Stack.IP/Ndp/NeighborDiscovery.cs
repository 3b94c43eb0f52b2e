using Stack.IP.Diagnostics;
using Stack.IP.Wire;
using Stack.Link.Diagnostics;
using Stack.Link.Neighbors;
using Stack.Link.Time;
using Stack.Link.Wire;

namespace Stack.IP.Ndp;

/// <summary>
/// IPv6 neighbour discovery (RFC 4861) for a host: answers solicitations for our addresses, resolves next hops
/// through a <see cref="NeighborCache{T}"/>, and announces our addresses with unsolicited advertisements.
/// The messages' wire format lives in Stack.Link (it owns neighbour discovery); sending them needs IPv6, so the
/// protocol sits here.
/// </summary>
public sealed class NeighborDiscovery : INeighborActions<Ipv6Address>
{
    /// <summary>RFC 4861 §7.1: ND messages must arrive with hop limit 255, proof they were not forwarded.</summary>
    private const byte NdHopLimit = 255;

    private readonly IpHost _host;
    private readonly byte[] _scratch = new byte[128];

    internal NeighborDiscovery(IpHost host, NeighborTimings timings)
    {
        _host = host;
        Cache = new NeighborCache<Ipv6Address>(timings, this);
    }

    public NeighborCache<Ipv6Address> Cache { get; }

    internal void OnMessage(ReadOnlySpan<byte> icmp, Ipv6Address src, Ipv6Address dst, byte hopLimit, Instant now)
    {
        if (hopLimit != NdHopLimit)
        {
            Reject(RejectReason.HopLimit);
            return;
        }
        if (!NdpMessage.TryParse(icmp, out var nd, out var reason))
        {
            Reject(reason);
            return;
        }
        switch (nd.Type)
        {
            case (byte)Icmpv6Type.NeighborSolicitation:
                OnSolicitation(nd, icmp, src, dst, now);
                break;
            case (byte)Icmpv6Type.NeighborAdvertisement:
                OnAdvertisement(nd, icmp, src, dst, now);
                break;
            case (byte)Icmpv6Type.RouterAdvertisement:
                // Without autoconfiguration the host keeps to its configuration, as Linux with accept_ra = 0; a
                // multi-queue stack's other shards hand it to the one that runs it.
                _host.OnRouterAdvertisement(nd, icmp, src, dst, hopLimit, now);
                break;
            case (byte)Icmpv6Type.Redirect:
                _host.OnIcmpv6Redirect(nd, src, now);
                break;
        }
    }

    private void OnSolicitation(NdpMessage ns, ReadOnlySpan<byte> icmp, Ipv6Address src, Ipv6Address dst, Instant now)
    {
        bool hasSlla = ns.TryGetSourceLinkLayer(out var slla);
        // RFC 4861 §7.1.1: from the unspecified address (duplicate address detection) only to a solicited-node
        // group, and without a source link-layer option.
        if (src.IsUnspecified && (!dst.IsMulticast || dst != ns.Target.SolicitedNodeMulticast || hasSlla))
        {
            Reject(RejectReason.BadAddress);
            return;
        }
        if (src.IsUnspecified && _host.OnDadMessage(ns.Target, icmp, src, dst, NdHopLimit, now)) return;
        if (!_host.IsLocal(ns.Target))
        {
            _host.Rejects.Count(Layer.Ndp, RejectReason.NotForUs);
            return;
        }
        if (src.IsUnspecified)
        {
            // Someone runs duplicate address detection on our address: defend it (RFC 4862 §5.4.3).
            Advertise(ns.Target, Ipv6Address.AllNodes, solicited: false);
            return;
        }
        if (hasSlla) Cache.LearnUnsolicited(src, slla, now);
        Advertise(ns.Target, src, solicited: true);
    }

    private void OnAdvertisement(NdpMessage na, ReadOnlySpan<byte> icmp, Ipv6Address src, Ipv6Address dst, Instant now)
    {
        if (dst.IsMulticast && na.SolicitedFlag)
        {
            Reject(RejectReason.BadFlags); // RFC 4861 §7.1.2
            return;
        }
        if (_host.OnDadMessage(na.Target, icmp, src, dst, NdHopLimit, now)) return;
        if (_host.IsLocal(na.Target))
        {
            IpLog.AddressConflict(_host.Log, na.Target);
            return;
        }
        MacAddress? tlla = na.TryGetTargetLinkLayer(out var mac) ? mac : null;
        Cache.LearnAdvertised(na.Target, tlla, na.SolicitedFlag, na.OverrideFlag, now);
    }

    /// <summary>An unsolicited advertisement to all nodes (RFC 4861 §7.2.6), as at start-up.</summary>
    public void Announce(Ipv6Address address) => Advertise(address, Ipv6Address.AllNodes, solicited: false);

    private void Advertise(Ipv6Address target, Ipv6Address to, bool solicited)
    {
        int length = NdpWriter.WriteNeighborAdvertisement(_scratch, target, router: false, solicited, @override: true, _host.Mac);
        SendNd(target, to, length, Instant.Zero);
    }

    void INeighborActions<Ipv6Address>.Solicit(Ipv6Address target, MacAddress? unicastTo)
    {
        int length = NdpWriter.WriteNeighborSolicitation(_scratch, target, _host.Mac);
        var source = _host.SelectSource(target) is { IsIpv6: true } s ? s.V6 : _host.LinkLocal;
        // A probe of a known neighbour goes to it (RFC 4861 §7.2.2); a new resolution to its solicited-node group.
        SendNd(source, unicastTo is null ? target.SolicitedNodeMulticast : target, length, Instant.Zero, unicastTo);
    }

    private void SendNd(Ipv6Address source, Ipv6Address destination, int length, Instant now, MacAddress? unicastTo = null)
    {
        var message = _scratch.AsSpan(0, length);
        if (!_host.IsLocal(source)) source = _host.LinkLocal;
        Icmpv6Message.FillChecksum(message, source, destination);
        if (unicastTo is { } mac)
            _host.SendToNeighbor(source, destination, IpProtocol.Icmpv6, message, mac, NdHopLimit);
        else
            _host.Send(source, destination, IpProtocol.Icmpv6, message, now, NdHopLimit);
    }

    void INeighborActions<Ipv6Address>.Deliver(Ipv6Address target, MacAddress mac, ReadOnlySpan<byte> packet) =>
        _host.Link.Send(mac, EtherType.Ipv6, packet);

    void INeighborActions<Ipv6Address>.Unreachable(Ipv6Address target, ReadOnlySpan<byte> packet)
    {
        IpLog.NeighborUnreachable(_host.Log, target);
        _host.Autoconf?.OnNeighborUnreachable(target);
    }

    private void Reject(RejectReason reason)
    {
        _host.Reject(Layer.Ndp, reason);
    }
}
