using System.Buffers.Binary;
using Stack.IP;
using Stack.IP.Multicast;
using Stack.IP.Wire;
using Stack.Link.Wire;
using Stack.Tests.IP;
using static Stack.Tests.IP.HostHarness;

namespace Stack.Tests.Multicast;

/// <summary>One record of a report as the test reads it back.</summary>
internal sealed record ReportRecord(MembershipRecordType Type, IpAddress Group, IpAddress[] Sources)
{
    public override string ToString() => $"{Type} {Group} [{string.Join(", ", (IEnumerable<IpAddress>)Sources)}]";
}

/// <summary>
/// An MLD or IGMP message the host sent, read back from the frame with every header checked on the way: the
/// Ethernet group, the IP destination and source, the hop limit / TTL, the Router Alert, and the checksum.
/// </summary>
internal sealed record Sent(MacAddress EthernetDestination, IpAddress Source, IpAddress Destination, byte HopLimit,
    bool RouterAlert, byte Type, IpAddress Group, ReportRecord[] Records, byte TypeOfService = 0);

/// <summary>
/// A <see cref="HostHarness"/> with MLD and IGMP speaking, and the queries a querier sends, built to order
/// (version, hop limit, Router Alert, source, checksum), so a test reads like the trace of a querier and a host.
/// </summary>
internal static class MembershipHarness
{
    public static readonly Ipv6Address Querier6 = Ipv6Address.Parse("fe80::1");
    public static readonly Ipv4Address Querier4 = Peer4;

    public static HostHarness Host(MembershipOptions? options = null) => new(membership: options ?? new MembershipOptions());

    /// <summary>An MLD query: v2 unless <paramref name="v1"/>; maxResponse in the code's own units.</summary>
    public static byte[] MldQuery(Ipv6Address group, ushort maxResponseCode = 1000, Ipv6Address[]? sources = null,
        bool v1 = false, byte hopLimit = 1, bool routerAlert = true, Ipv6Address? from = null, Ipv6Address? to = null,
        int? length = null, bool badChecksum = false, byte robustness = 2)
    {
        sources ??= [];
        var icmp = new byte[length ?? (v1 ? MldMessage.V1Length : MldMessage.V2QueryMinLength + 16 * sources.Length)];
        icmp[0] = (byte)Icmpv6Type.MulticastListenerQuery;
        BinaryPrimitives.WriteUInt16BigEndian(icmp.AsSpan(4), maxResponseCode);
        if (icmp.Length >= 24) group.Write(icmp.AsSpan(8));
        if (!v1 && icmp.Length >= MldMessage.V2QueryMinLength)
        {
            icmp[24] = robustness;
            icmp[25] = 125;
            BinaryPrimitives.WriteUInt16BigEndian(icmp.AsSpan(26), (ushort)sources.Length);
            for (int i = 0; i < sources.Length && 28 + 16 * i + 16 <= icmp.Length; i++) sources[i].Write(icmp.AsSpan(28 + 16 * i));
        }
        return Mld(icmp, from ?? Querier6, to ?? (group.IsUnspecified ? Ipv6Address.AllNodes : group), hopLimit, routerAlert, badChecksum);
    }

    /// <summary>Another host's MLDv1 report for <paramref name="group"/>.</summary>
    public static byte[] MldV1Report(Ipv6Address group)
    {
        var icmp = new byte[MldMessage.V1Length];
        MldMessage.WriteV1(icmp, Icmpv6Type.MulticastListenerReport, group);
        return Mld(icmp, Ipv6Address.Parse("fe80::99"), group, 1, true, false);
    }

    private static byte[] Mld(byte[] icmp, Ipv6Address src, Ipv6Address dst, byte hopLimit, bool routerAlert, bool badChecksum)
    {
        Icmpv6Message.FillChecksum(icmp, src, dst);
        if (badChecksum) icmp[2] ^= 0xFF;
        int ext = routerAlert ? 8 : 0;
        var ip = new byte[40 + ext + icmp.Length];
        new Ipv6Repr(src, dst, routerAlert ? IpProtocol.HopByHop : IpProtocol.Icmpv6, ext + icmp.Length, hopLimit).Write(ip);
        if (routerAlert) new byte[] { 58, 0, 5, 2, 0, 0, 1, 0 }.CopyTo(ip, 40);
        icmp.CopyTo(ip, 40 + ext);
        return Ethernet(PeerMac, MacAddress.ForIpv6Multicast(dst), EtherType.Ipv6, ip);
    }

    /// <summary>An IGMP query: v3 by default, v2 or v1 (8 bytes) when asked; code in tenths of a second.</summary>
    public static byte[] IgmpQuery(Ipv4Address group, byte maxResponseCode = 100, Ipv4Address[]? sources = null,
        int version = 3, byte ttl = 1, bool routerAlert = true, int? length = null, bool badChecksum = false)
    {
        sources ??= [];
        var igmp = new byte[length ?? (version == 3 ? 12 + 4 * sources.Length : 8)];
        igmp[0] = (byte)IgmpType.MembershipQuery;
        igmp[1] = version == 1 ? (byte)0 : maxResponseCode;
        group.Write(igmp.AsSpan(4));
        if (igmp.Length >= 12)
        {
            igmp[8] = 2;
            igmp[9] = 125;
            BinaryPrimitives.WriteUInt16BigEndian(igmp.AsSpan(10), (ushort)sources.Length);
            for (int i = 0; i < sources.Length && 12 + 4 * i + 4 <= igmp.Length; i++) sources[i].Write(igmp.AsSpan(12 + 4 * i));
        }
        MembershipReport.FillPlainChecksum(igmp);
        if (badChecksum) igmp[2] ^= 0xFF;
        return Igmp(igmp, Querier4, group.IsUnspecified ? Stack.IP.Multicast.Igmp.AllHosts : group, ttl, routerAlert);
    }

    /// <summary>Another host's IGMPv2 report for <paramref name="group"/>.</summary>
    public static byte[] IgmpV2Report(Ipv4Address group)
    {
        var igmp = new byte[8];
        IgmpMessage.WriteV2(igmp, IgmpType.V2MembershipReport, group);
        return Igmp(igmp, Ipv4Address.Parse("192.0.2.99"), group, 1, true);
    }

    private static byte[] Igmp(byte[] igmp, Ipv4Address src, Ipv4Address dst, byte ttl, bool routerAlert)
    {
        byte[] options = routerAlert ? [148, 4, 0, 0] : [];
        var repr = new Ipv4Repr(src, dst, IpProtocol.Igmp, igmp.Length, ttl, 9);
        var ip = new byte[repr.HeaderLength(options.Length) + igmp.Length];
        int header = repr.Write(ip, options);
        igmp.CopyTo(ip, header);
        return Ethernet(PeerMac, MacAddress.ForIpv4Multicast(dst), EtherType.Ipv4, ip);
    }

    /// <summary>The next frame the host sent, read as an MLD or IGMP message (asserting it is one).</summary>
    public static Sent NextMembership(this HostHarness h) => Read(h.NextRaw());

    /// <summary>
    /// Lets the start-up or join reports and their repetitions go (HostHarness runs one timer per step, so in
    /// steps of 100 ms), then forgets what was sent.
    /// </summary>
    public static void Settle(this HostHarness h)
    {
        for (int i = 0; i < 30; i++) h.Advance(TimeSpan.FromMilliseconds(100));
        while (h.SentCount > 0) h.NextRaw();
    }

    /// <summary>Every frame sent so far, read as MLD or IGMP messages.</summary>
    public static List<Sent> AllMembership(this HostHarness h)
    {
        var all = new List<Sent>();
        while (h.SentCount > 0) all.Add(h.NextMembership());
        return all;
    }

    public static Sent Read(byte[] frame)
    {
        var mac = MacAddress.Read(frame);
        var type = (EtherType)BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(12));
        var ip = frame.AsSpan(14);
        if (type == EtherType.Ipv6)
        {
            Assert.True(Ipv6Header.TryParse(ip, out var h6, out _));
            Assert.Equal(IpProtocol.HopByHop, h6.NextHeader);
            var hbh = h6.Payload[..8];
            Assert.Equal(58, hbh[0]);
            bool ra = hbh[2] == 5 && hbh[3] == 2 && hbh[4] == 0 && hbh[5] == 0;
            var icmp = h6.Payload[8..];
            Assert.True(Icmpv6Message.TryParse(icmp, h6.Source, h6.Destination, out _, out _), "MLD checksum");
            return Message(mac, h6.Source, h6.Destination, h6.HopLimit, ra, icmp, 16, 0);
        }
        Assert.Equal(EtherType.Ipv4, type);
        Assert.True(Ipv4Header.TryParse(ip, out var h4, out _));
        Assert.Equal(IpProtocol.Igmp, h4.Protocol);
        Assert.True(Stack.Link.Wire.InternetChecksum.IsValid(h4.Payload), "IGMP checksum");
        return Message(mac, h4.Source, h4.Destination, h4.Ttl, h4.HasRouterAlert, h4.Payload, 4, h4.TypeOfService);
    }

    private static Sent Message(MacAddress mac, IpAddress src, IpAddress dst, byte hop, bool ra, ReadOnlySpan<byte> m, int size, byte tos)
    {
        IpAddress ReadAddress(ReadOnlySpan<byte> b) => size == 16 ? Ipv6Address.Read(b) : Ipv4Address.Read(b);
        byte type = m[0];
        if (type is MembershipReport.MldV2Type or MembershipReport.IgmpV3Type)
        {
            int count = BinaryPrimitives.ReadUInt16BigEndian(m[6..]);
            var records = new ReportRecord[count];
            int at = 8;
            for (int i = 0; i < count; i++)
            {
                int n = BinaryPrimitives.ReadUInt16BigEndian(m[(at + 2)..]);
                var sources = new IpAddress[n];
                for (int s = 0; s < n; s++) sources[s] = ReadAddress(m[(at + 4 + size + s * size)..]);
                records[i] = new ReportRecord((MembershipRecordType)m[at], ReadAddress(m[(at + 4)..]), sources);
                at += 4 + size + n * size;
            }
            Assert.Equal(m.Length, at);
            return new Sent(mac, src, dst, hop, ra, type, default, records, tos);
        }
        var group = size == 16 ? ReadAddress(m[8..]) : ReadAddress(m[4..]);
        return new Sent(mac, src, dst, hop, ra, type, group, [], tos);
    }
}
