using Stack.IP.Wire;
using Stack.Link.Wire;
using Stack.Tests.IP;

namespace Stack.Tests.IP.Autoconf;

/// <summary>A router advertisement as a value, for tests to vary with <c>with</c>.</summary>
internal sealed record Ra
{
    public Ipv6Address Source { get; init; } = RouterFrames.Router;
    public MacAddress SourceMac { get; init; } = HostHarness.PeerMac;
    public Ipv6Address Destination { get; init; } = Ipv6Address.AllNodes;
    public byte HopLimit { get; init; } = 255;
    public byte CurHopLimit { get; init; }
    public ushort RouterLifetime { get; init; } = 1800;
    public uint ReachableMs { get; init; }
    public uint RetransMs { get; init; }
    public bool SourceLinkLayer { get; init; } = true;
    public uint? Mtu { get; init; }
    public NdpPrefixInformation[] Prefixes { get; init; } = [RouterFrames.Slaac(RouterFrames.Prefix)];
    public (uint Lifetime, Ipv6Address[] Servers)? Dns { get; init; }

    /// <summary>Raw option bytes appended as they are (malformed options).</summary>
    public byte[] Extra { get; init; } = [];
}

/// <summary>Builds router advertisements and redirects as frames from a router on the link.</summary>
internal static class RouterFrames
{
    public static readonly Ipv6Address Router = Ipv6Address.Parse("fe80::1");
    public static readonly Ipv6Address OtherRouter = Ipv6Address.Parse("fe80::99");
    public static readonly Ipv6Address Prefix = Ipv6Address.Parse("2001:db8:1::");

    /// <summary>A /64 with L and A, valid a day, preferred four hours.</summary>
    public static NdpPrefixInformation Slaac(Ipv6Address prefix, uint valid = 86400, uint preferred = 14400) =>
        new(prefix, 64, true, true, valid, preferred);

    public static byte[] Frame(Ra ra)
    {
        var icmp = new byte[1400];
        int n = NdpWriter.WriteRouterAdvertisement(icmp, ra.CurHopLimit, false, false, ra.RouterLifetime, ra.ReachableMs, ra.RetransMs);
        if (ra.SourceLinkLayer) n += NdpWriter.WriteSourceLinkLayerOption(icmp.AsSpan(n), ra.SourceMac);
        if (ra.Mtu is { } mtu) n += NdpWriter.WriteMtuOption(icmp.AsSpan(n), mtu);
        foreach (var p in ra.Prefixes) n += NdpWriter.WritePrefixOption(icmp.AsSpan(n), p);
        if (ra.Dns is { } dns) n += NdpWriter.WriteDnsServersOption(icmp.AsSpan(n), dns.Lifetime, dns.Servers);
        ra.Extra.CopyTo(icmp.AsSpan(n));
        n += ra.Extra.Length;
        return Icmpv6Frame(ra.SourceMac, ra.Source, ra.Destination, ra.HopLimit, icmp.AsSpan(0, n));
    }

    public static byte[] Redirect(Ipv6Address from, Ipv6Address target, Ipv6Address destination, byte hopLimit = 255, MacAddress? targetMac = null)
    {
        var icmp = new byte[64];
        int n = NdpWriter.WriteRedirect(icmp, target, destination, targetMac);
        return Icmpv6Frame(HostHarness.PeerMac, from, HostHarness.Our6, hopLimit, icmp.AsSpan(0, n));
    }

    /// <summary>A neighbour advertisement for <paramref name="target"/> from another node (a DAD conflict).</summary>
    public static byte[] Advertisement(Ipv6Address target)
    {
        var icmp = new byte[64];
        int n = NdpWriter.WriteNeighborAdvertisement(icmp, target, false, false, true, new MacAddress(0x0200_0000_0077UL));
        return Icmpv6Frame(new MacAddress(0x0200_0000_0077UL), target, Ipv6Address.AllNodes, 255, icmp.AsSpan(0, n));
    }

    /// <summary>Another node's DAD probe for <paramref name="target"/>: from ::, to its solicited-node group.</summary>
    public static byte[] DadProbe(Ipv6Address target)
    {
        var icmp = new byte[64];
        int n = NdpWriter.WriteNeighborSolicitation(icmp, target, null);
        return Icmpv6Frame(new MacAddress(0x0200_0000_0077UL), Ipv6Address.Unspecified, target.SolicitedNodeMulticast, 255, icmp.AsSpan(0, n));
    }

    public static byte[] Icmpv6Frame(MacAddress srcMac, Ipv6Address src, Ipv6Address dst, byte hopLimit, ReadOnlySpan<byte> icmp)
    {
        var packet = new byte[Ipv6Header.Length + icmp.Length];
        icmp.CopyTo(packet.AsSpan(Ipv6Header.Length));
        Icmpv6Message.FillChecksum(packet.AsSpan(Ipv6Header.Length), src, dst);
        new Ipv6Repr(src, dst, IpProtocol.Icmpv6, icmp.Length, hopLimit).Write(packet);
        var dstMac = dst.IsMulticast ? MacAddress.ForIpv6Multicast(dst) : HostHarness.OurMac;
        return HostHarness.Ethernet(srcMac, dstMac, EtherType.Ipv6, packet);
    }
}

/// <summary>An IPv6/ICMPv6 frame the host sent, read back.</summary>
internal readonly record struct SentIcmpv6(Ipv6Address Source, Ipv6Address Destination, byte HopLimit, byte Type, Ipv6Address Target, bool HasOption)
{
    public static SentIcmpv6? TryRead(byte[] frame)
    {
        if (frame.Length < 14 + 40 + 8 || frame[12] != 0x86 || frame[13] != 0xDD || frame[14 + 6] != 58) return null;
        var ip = frame.AsSpan(14);
        var icmp = ip[40..];
        var target = icmp.Length >= 24 ? Ipv6Address.Read(icmp[8..]) : default;
        bool hasOption = icmp[0] switch { 133 => icmp.Length > 8, 135 or 136 => icmp.Length > 24, _ => false };
        return new SentIcmpv6(Ipv6Address.Read(ip[8..]), Ipv6Address.Read(ip[24..]), ip[7], icmp[0], target, hasOption);
    }

    public static List<SentIcmpv6> All(IEnumerable<byte[]> frames) =>
        frames.Select(TryRead).Where(s => s is not null).Select(s => s!.Value).ToList();
}
