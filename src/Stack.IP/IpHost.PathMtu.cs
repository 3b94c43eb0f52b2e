using Stack.IP.Fragments;
using Stack.Link.Time;
using Stack.Link.Wire;

namespace Stack.IP;

public sealed partial class IpHost
{
    /// <summary>RFC 791: every IPv4 host must take 68-byte datagrams unfragmented.</summary>
    private const int MinIpv4Mtu = 68;

    /// <summary>RFC 8200 §5: the IPv6 minimum link MTU.</summary>
    private const int MinIpv6Mtu = 1280;

    private PathMtuCache<Ipv4Address>? _pmtu4;
    private PathMtuCache<Ipv6Address>? _pmtu6;

    private PathMtuCache<Ipv4Address> Pmtu4 => _pmtu4 ??= new(Mtu, MinIpv4Mtu);
    private PathMtuCache<Ipv6Address> Pmtu6 => _pmtu6 ??= new(Mtu, MinIpv6Mtu);

    /// <summary>The path MTU towards <paramref name="destination"/>: the link MTU unless ICMP said less.</summary>
    public int PathMtu(IpAddress destination, Instant now) =>
        destination.IsIpv6 ? Pmtu6.Get(destination.V6, now) : Pmtu4.Get(destination.V4, now);

    /// <summary>RFC 1191: fragmentation needed and DF set. Returns the path MTU now in force.</summary>
    private int OnFragmentationNeeded(Ipv4Address destination, int nextHopMtu, int tooBigLength, Instant now)
    {
        Pmtu4.UpdateFromFragmentationNeeded(destination, nextHopMtu, tooBigLength, now);
        return Pmtu4.Get(destination, now);
    }

    /// <summary>RFC 8201: packet too big. Returns the path MTU now in force.</summary>
    private int OnPacketTooBig(Ipv6Address destination, int mtu, Instant now)
    {
        Pmtu6.Update(destination, mtu, now);
        return Pmtu6.Get(destination, now);
    }
}
