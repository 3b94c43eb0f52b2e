using Stack.IP.Wire;
using Stack.Link.Diagnostics;
using Stack.Link.Wire;
using Stack.Tcp.Wire;
using Stack.Udp.Wire;

namespace Stack.Fuzz;

/// <summary>
/// One wire view per input: the first byte picks the view (low 4 bits) and whether the checksum is kept as it
/// is (top bit; otherwise <see cref="ChecksumRepair"/> rewrites it first). A view that <c>TryParse</c> rejects
/// must give a reason; one it accepts must answer every accessor without reading outside its buffer, whatever
/// the message type (issue 12: <c>NdpMessage.Target</c> of an 8-byte router solicitation read past it).
/// </summary>
public static class WireTarget
{
    private const byte RawBit = 0x80;

    /// <summary>The addresses the ICMPv6, NDP, TCP and UDP checksums are computed with.</summary>
    private static readonly Ipv6Address Source6 = Ipv6Address.Parse("fe80::1");
    private static readonly Ipv6Address Destination6 = Ipv6Address.Parse("ff02::1");
    private static readonly Ipv4Address Source4 = Ipv4Address.Parse("192.0.2.1");
    private static readonly Ipv4Address Destination4 = Ipv4Address.Parse("192.0.2.2");

    public static readonly string[] Views =
        ["ethernet", "arp", "ipv4", "ipv6", "ipv6-chain", "ipv6-fragment", "icmpv4", "icmpv6", "ndp", "tcp", "udp", "tcp-options"];

    public static void Run(byte[] input)
    {
        if (input.Length == 0) return;
        int view = (input[0] & 0x0F) % Views.Length;
        bool raw = (input[0] & RawBit) != 0;
        byte[] bytes = input[1..];
        switch (Views[view])
        {
            case "ethernet": Ethernet(bytes); break;
            case "arp": Arp(bytes); break;
            case "ipv4": Ipv4(bytes, raw); break;
            case "ipv6": Ipv6(bytes, raw); break;
            case "ipv6-chain": Chain(bytes); break;
            case "ipv6-fragment": Fragment(bytes); break;
            case "icmpv4": Icmpv4(bytes, raw); break;
            case "icmpv6": Icmpv6(bytes, raw); break;
            case "ndp": Ndp(bytes); break;
            case "tcp": Tcp(bytes, raw); break;
            case "udp": Udp(bytes, raw); break;
            case "tcp-options": TcpOptionList(bytes); break;
        }
    }

    /// <summary>The input that runs <paramref name="bytes"/> through <paramref name="view"/> (checksums repaired).</summary>
    public static byte[] Input(string view, ReadOnlySpan<byte> bytes) => [(byte)Array.IndexOf(Views, view), .. bytes];

    private static void Ethernet(byte[] bytes)
    {
        if (!Accepted(EthernetFrame.TryParse(bytes, out var f, out var reason), reason)) return;
        Touch(f.Destination, f.Source, f.EtherType, f.Payload.Length);
    }

    private static void Arp(byte[] bytes)
    {
        if (!Accepted(ArpPacket.TryParse(bytes, out var a, out var reason), reason)) return;
        Touch(a.Operation, a.SenderMac, a.SenderIp, a.TargetMac, a.TargetIp);
    }

    private static void Ipv4(byte[] bytes, bool raw)
    {
        if (!raw) ChecksumRepair.Ipv4(bytes);
        if (QuotedIpv4.TryRead(bytes, out var q))
            Touch(q.Source, q.Destination, q.Protocol, q.FragmentOffset, q.TotalLength, q.Transport.Length);
        if (!Accepted(Ipv4Header.TryParse(bytes, out var h, out var reason), reason)) return;
        Touch(h.HeaderLength, h.TotalLength, h.TypeOfService, h.Identification, h.DontFragment, h.MoreFragments);
        Touch(h.FragmentOffset, h.IsFragment, h.Ttl, h.Protocol, h.Checksum, h.Source, h.Destination);
        Touch(h.Options.Length, h.Header.Length, h.Payload.Length);
        var repr = Ipv4Repr.From(h);
        Touch(repr.HeaderLength(h.Options.Length));
    }

    private static void Ipv6(byte[] bytes, bool raw)
    {
        if (!raw) ChecksumRepair.Ipv6(bytes);
        if (!Accepted(Ipv6Header.TryParse(bytes, out var h, out var reason), reason)) return;
        Touch(h.TrafficClass, h.FlowLabel, h.PayloadLength, h.NextHeader, h.HopLimit, h.Source, h.Destination);
        Touch(h.Header.Length, h.Payload.Length, Ipv6Repr.From(h));
        WalkChain(h.Payload, h.NextHeader, h.Destination.IsMulticast);
    }

    /// <summary>The second byte names the first header; bit 0 of the third says the destination is multicast.</summary>
    private static void Chain(byte[] bytes)
    {
        if (bytes.Length < 2) return;
        WalkChain(bytes.AsSpan(2), (IpProtocol)bytes[0], (bytes[1] & 1) != 0);
    }

    private static void WalkChain(ReadOnlySpan<byte> payload, IpProtocol first, bool multicast)
    {
        bool ok = Ipv6Chain.TryWalk(payload, first, multicast, out var chain, out var reason, out int pointer, out byte code);
        if (!Accepted(ok, reason))
        {
            Touch(pointer, code);
            return;
        }
        Touch(chain.UpperProtocol, chain.NextHeaderPointer, chain.UnfragmentableLength);
        if (chain.UpperOffset < 0 || chain.UpperOffset > payload.Length || chain.UnfragmentableLength < 0
            || chain.UnfragmentableLength > payload.Length || chain.FragmentHeaderOffset >= payload.Length)
        {
            throw new FuzzOracleException($"chain offsets outside the payload of {payload.Length} bytes: {chain}");
        }
        Touch(payload[chain.UpperOffset..].Length);
        if (chain.FragmentHeaderOffset >= 0)
            Fragment(payload[chain.FragmentHeaderOffset..]);
    }

    private static void Fragment(ReadOnlySpan<byte> bytes)
    {
        if (!Accepted(Ipv6FragmentHeader.TryParse(bytes, out var f, out var reason), reason)) return;
        Touch(f.NextHeader, f.FragmentOffset, f.MoreFragments, f.Identification);
    }

    private static void Icmpv4(byte[] bytes, bool raw)
    {
        if (!raw) ChecksumRepair.Transport(bytes, 1, 0, v6: false);
        if (!Accepted(Icmpv4Message.TryParse(bytes, out var m, out var reason), reason)) return;
        Touch(m.Type, m.Code, m.Checksum, m.Identifier, m.SequenceNumber, m.NextHopMtu, m.Pointer, m.RestOfHeader);
        Touch(m.Body.Length, m.IsError);
        if (QuotedIpv4.TryRead(m.Body, out var q))
        {
            Touch(q.Source, q.Destination, q.Protocol, q.FragmentOffset, q.TotalLength);
            if (TcpHeader.TryReadPortsAndSeq(q.Transport, out ushort sp, out ushort dp, out uint seq))
                Touch(sp, dp, seq);
        }
    }

    private static void Icmpv6(byte[] bytes, bool raw)
    {
        if (!raw) ChecksumRepair.Transport(bytes, 58, Addresses6(), v6: true);
        if (!Accepted(Icmpv6Message.TryParse(bytes, Source6, Destination6, out var m, out var reason), reason)) return;
        Touch(m.Type, m.Code, m.Checksum, m.Identifier, m.SequenceNumber, m.RestOfHeader, m.Mtu, m.Pointer);
        Touch(m.Body.Length, m.IsError, m.Message.Length);
        Ndp(m.Message);
    }

    private static void Ndp(ReadOnlySpan<byte> bytes)
    {
        if (!Accepted(NdpMessage.TryParse(bytes, out var n, out var reason), reason)) return;
        Touch(n.Type, n.Target, n.RouterFlag, n.SolicitedFlag, n.OverrideFlag, n.CurHopLimit, n.ManagedFlag, n.OtherFlag);
        Touch(n.RouterLifetime, n.ReachableTime, n.RetransTimer, n.Options.Length);
        Touch(n.TryGetSourceLinkLayer(out var source), source, n.TryGetTargetLinkLayer(out var target), target);
        Touch(n.TryGetMtu(out uint mtu), mtu);
        foreach (var prefix in n.Prefixes)
            Touch(prefix);
    }

    private static void Tcp(byte[] bytes, bool raw)
    {
        if (!raw) ChecksumRepair.Transport(bytes, 6, Addresses4(), v6: false);
        ulong pseudo = InternetChecksum.PseudoHeader(Source4, Destination4, 6, bytes.Length);
        if (TcpHeader.TryReadPortsAndSeq(bytes, out ushort sp, out ushort dp, out uint seq))
            Touch(sp, dp, seq);
        if (TcpHeader.TryParseUnchecked(bytes, out var unchecked_, out var uncheckedReason))
            Touch(unchecked_.HeaderLength);
        else
            Accepted(false, uncheckedReason);
        if (!Accepted(TcpHeader.TryParse(bytes, pseudo, out var h, out var reason), reason)) return;
        Touch(h.SourcePort, h.DestinationPort, h.SequenceNumber, h.AcknowledgmentNumber, h.HeaderLength, h.Flags, h.Window);
        Touch(h.Checksum, h.UrgentPointer, h.OptionBytes.Length, h.Payload.Length, h.SegmentLength);
        var options = h.ParseOptions();
        TouchOptions(options);
        Touch(TcpOptions.Describe(h.OptionBytes));

        // The value the view gives writes out as a segment that parses back to the same value.
        var repr = TcpRepr.From(h);
        Touch(repr.ToString(h.Payload.Length));
        var written = new byte[repr.HeaderLength + h.Payload.Length];
        ulong writtenPseudo = InternetChecksum.PseudoHeader(Source4, Destination4, 6, written.Length);
        repr.Write(written, h.Payload, writtenPseudo);
        if (!TcpHeader.TryParse(written, writtenPseudo, out var again, out var againReason))
            throw new FuzzOracleException($"{repr} written out does not parse: {againReason}");
        if (TcpRepr.From(again) != repr || !again.Payload.SequenceEqual(h.Payload))
            throw new FuzzOracleException($"{repr} written out parses as {TcpRepr.From(again)}");
    }

    private static void TcpOptionList(byte[] bytes)
    {
        if (!Accepted(TcpOptions.TryParse(bytes, out var options, out var reason), reason)) return;
        TouchOptions(options);
        Touch(TcpOptions.Describe(bytes));
    }

    private static void TouchOptions(TcpOptions o)
    {
        Touch(o.Mss, o.WindowScale, o.SackPermitted, o.HasTimestamps, o.TsVal, o.TsEcr, o.SackBlockCount, o.EncodedLength);
        for (int i = 0; i < o.SackBlockCount; i++)
            Touch(o.GetSackBlock(i));
        Touch(o.ToString());
    }

    private static void Udp(byte[] bytes, bool raw)
    {
        // Over IPv4 (zero checksum allowed) unless the first byte is odd, then over IPv6 (required).
        bool v6 = bytes.Length > 0 && (bytes[0] & 1) != 0;
        if (!raw) ChecksumRepair.Transport(bytes, 17, v6 ? Addresses6() : Addresses4(), v6);
        ulong pseudo = v6
            ? InternetChecksum.PseudoHeader(Source6, Destination6, 17, UdpLength(bytes))
            : InternetChecksum.PseudoHeader(Source4, Destination4, 17, UdpLength(bytes));
        if (!Accepted(UdpHeader.TryParse(bytes, pseudo, v6, out var h, out var reason), reason)) return;
        Touch(h.SourcePort, h.DestinationPort, h.Length, h.Checksum, h.Payload.Length);
    }

    private static int UdpLength(byte[] bytes) => bytes.Length >= 6 ? (bytes[4] << 8) | bytes[5] : 0;

    private static ulong Addresses4() =>
        InternetChecksum.Add(InternetChecksum.Add(0, Source4.Value), Destination4.Value);

    private static ulong Addresses6()
    {
        Span<byte> both = stackalloc byte[32];
        Source6.Write(both);
        Destination6.Write(both[16..]);
        return InternetChecksum.Add(0, both);
    }

    /// <summary>A rejection must name its reason, an acceptance must not.</summary>
    private static bool Accepted(bool ok, RejectReason reason)
    {
        if (ok != (reason == RejectReason.None))
            throw new FuzzOracleException($"TryParse answered {ok} with reason {reason}");
        return ok;
    }

    // Reads the values so that none of the getters is optimised away; what they are does not matter.
    private static void Touch<T1>(T1 a) => GC.KeepAlive(a);
    private static void Touch<T1, T2>(T1 a, T2 b) { GC.KeepAlive(a); GC.KeepAlive(b); }
    private static void Touch<T1, T2, T3>(T1 a, T2 b, T3 c) { Touch(a, b); GC.KeepAlive(c); }
    private static void Touch<T1, T2, T3, T4>(T1 a, T2 b, T3 c, T4 d) { Touch(a, b); Touch(c, d); }
    private static void Touch<T1, T2, T3, T4, T5>(T1 a, T2 b, T3 c, T4 d, T5 e) { Touch(a, b, c, d); GC.KeepAlive(e); }
    private static void Touch<T1, T2, T3, T4, T5, T6>(T1 a, T2 b, T3 c, T4 d, T5 e, T6 f) { Touch(a, b, c, d); Touch(e, f); }
    private static void Touch<T1, T2, T3, T4, T5, T6, T7>(T1 a, T2 b, T3 c, T4 d, T5 e, T6 f, T7 g) { Touch(a, b, c, d); Touch(e, f, g); }
    private static void Touch<T1, T2, T3, T4, T5, T6, T7, T8>(T1 a, T2 b, T3 c, T4 d, T5 e, T6 f, T7 g, T8 h) { Touch(a, b, c, d); Touch(e, f, g, h); }
}
