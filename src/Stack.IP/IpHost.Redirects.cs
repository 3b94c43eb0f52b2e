using Stack.IP.Wire;
using Stack.Link.Diagnostics;
using Stack.Link.Time;
using Stack.Link.Wire;

namespace Stack.IP;

// ICMP redirects (RFC 4861 §8, RFC 1122 §3.2.2.2): a host route to a better first hop, believed only from the
// router we use for that destination now. Both install a host route in Routes.Redirects, which expires.
public sealed partial class IpHost
{
    /// <summary>
    /// RFC 4861 §8.1: neighbour discovery has checked the hop limit (255), the checksum, the code, the length,
    /// the options, a unicast destination and a target that is link-local or the destination. Here: the source is
    /// link-local and is the current first hop for the destination. Then §8.3: the target becomes the
    /// destination's next hop, and its link-layer address (when given) goes into the neighbour cache.
    /// </summary>
    internal void OnIcmpv6Redirect(NdpMessage redirect, Ipv6Address src, Instant now)
    {
        if (!_options.AcceptRedirects) return;
        var destination = redirect.Destination;
        var target = redirect.Target;
        if (!src.IsLinkLocal || IsLocal(destination))
        {
            Reject(Layer.Ndp, RejectReason.BadAddress);
            return;
        }
        if (!Routes.TryGetNextHop(destination, out var current) || current != (IpAddress)src)
        {
            Reject(Layer.Ndp, RejectReason.NotFirstHop);
            return;
        }
        if (redirect.TryGetTargetLinkLayer(out var mac)) Ndp.Cache.LearnUnsolicited(target, mac, now);
        Routes.Redirects.Set(destination, target, now);
        Statistics.RedirectsAccepted++;
    }

    /// <summary>
    /// RFC 1122 §3.2.2.2: a redirect about a datagram of ours, from the gateway we send that destination to, naming
    /// a new gateway on our own subnet. Network redirects are taken as host redirects (§3.3.1.2), as Linux does.
    /// Linux's further checks are kept: the new gateway is unicast and not one of our addresses.
    /// </summary>
    private void OnIcmpv4Redirect(Icmpv4Message icmp, Ipv4Address src, Instant now)
    {
        if (!_options.AcceptRedirects) return;
        if (icmp.Code > 3)
        {
            Reject(Layer.Icmpv4, RejectReason.BadField);
            return;
        }
        if (!QuotedIpv4.TryRead(icmp.Body, out var quoted))
        {
            Reject(Layer.Icmpv4, RejectReason.Truncated);
            return;
        }
        if (!IsLocal(quoted.Source))
        {
            Reject(Layer.Icmpv4, RejectReason.NotForUs);
            return;
        }
        var destination = quoted.Destination;
        var gateway = icmp.Gateway;
        if (gateway.IsUnspecified || gateway.IsBroadcast || gateway.IsMulticast || IsDirectedBroadcast(gateway) ||
            IsLocal(gateway) || !Routes.IsOnLink(gateway) || destination.IsMulticast || destination.IsBroadcast)
        {
            Reject(Layer.Icmpv4, RejectReason.BadAddress);
            return;
        }
        if (!Routes.TryGetNextHop(destination, out var current) || current != (IpAddress)src)
        {
            Reject(Layer.Icmpv4, RejectReason.NotFirstHop);
            return;
        }
        Routes.Redirects.Set(destination, gateway, now);
        Statistics.RedirectsAccepted++;
    }
}
