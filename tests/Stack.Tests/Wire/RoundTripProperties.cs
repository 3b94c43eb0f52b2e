using CsCheck;
using Stack.IP.Wire;
using Stack.Link.Wire;

namespace Stack.Tests.Wire;

/// <summary>Random values → Write → TryParse → the same values.</summary>
public sealed class RoundTripProperties
{
    private static readonly Gen<Ipv4Address> GenIpv4 = Gen.UInt.Select(v => new Ipv4Address(v));
    private static readonly Gen<Ipv6Address> GenIpv6 = Gen.Select(Gen.ULong, Gen.ULong, (hi, lo) => new Ipv6Address(new UInt128(hi, lo)));
    private static readonly Gen<MacAddress> GenMac = Gen.ULong[0, 0xFFFF_FFFF_FFFFUL].Select(v => new MacAddress(v));

    [Fact]
    public void Ipv4_repr_survives_write_and_parse()
    {
        var gen = Gen.Select(
            Gen.Select(GenIpv4, GenIpv4, Gen.Byte, Gen.Int[0, 1400]),
            Gen.Select(Gen.Byte, Gen.UShort, Gen.Bool, Gen.Bool),
            Gen.Select(Gen.Int[0, 0x1FFF], Gen.Byte, Gen.Int[0, 10]),
            (a, b, c) => (Repr: new Ipv4Repr(a.Item1, a.Item2, (IpProtocol)a.Item3, a.Item4, b.Item1, b.Item2, b.Item3,
                b.Item4, c.Item1 * 8, c.Item2), Nops: c.Item3));
        gen.Sample(seed: FixedSeedSampling.Seed, t =>
        {
            var options = Enumerable.Repeat((byte)1, t.Nops).ToArray();
            var buffer = new byte[t.Repr.HeaderLength(options.Length) + t.Repr.PayloadLength];
            int h = t.Repr.Write(buffer, options);
            Assert.True(Ipv4Header.TryParse(buffer, out var ip, out var reason), reason.ToString());
            Assert.Equal(h, ip.HeaderLength);
            Assert.Equal(t.Repr, Ipv4Repr.From(ip));
            Assert.Equal(t.Repr.PayloadLength, ip.Payload.Length);
        }, iter: 2000);
    }

    [Fact]
    public void Ipv6_repr_survives_write_and_parse()
    {
        var gen = Gen.Select(
            Gen.Select(GenIpv6, GenIpv6, Gen.Byte, Gen.Int[0, 1400]),
            Gen.Select(Gen.Byte, Gen.Byte, Gen.UInt[0, 0xF_FFFF]),
            (a, b) => new Ipv6Repr(a.Item1, a.Item2, (IpProtocol)a.Item3, a.Item4, b.Item1, b.Item2, b.Item3))
            .Where(r => !(r.PayloadLength == 0 && r.NextHeader == IpProtocol.HopByHop)); // jumbogram marker
        gen.Sample(seed: FixedSeedSampling.Seed, repr =>
        {
            var buffer = new byte[Ipv6Header.Length + repr.PayloadLength];
            Assert.Equal(40, repr.Write(buffer));
            Assert.True(Ipv6Header.TryParse(buffer, out var ip, out var reason), reason.ToString());
            Assert.Equal(repr, Ipv6Repr.From(ip));
        }, iter: 2000);
    }

    [Fact]
    public void Ipv6_fragment_header_survives_write_and_parse()
    {
        Gen.Select(Gen.Byte, Gen.Int[0, 0x1FFF], Gen.Bool, Gen.UInt).Sample(seed: FixedSeedSampling.Seed, (next, units, more, id) =>
        {
            var buffer = new byte[Ipv6FragmentHeader.Length];
            Ipv6FragmentHeader.Write(buffer, (IpProtocol)next, units * 8, more, id);
            Assert.True(Ipv6FragmentHeader.TryParse(buffer, out var f, out _));
            Assert.Equal(((IpProtocol)next, units * 8, more, id), (f.NextHeader, f.FragmentOffset, f.MoreFragments, f.Identification));
        }, iter: 1000);
    }

    [Fact]
    public void Icmpv4_echo_survives_write_and_parse()
    {
        Gen.Select(Gen.Bool, Gen.UShort, Gen.UShort, Gen.Byte.Array[0, 200]).Sample(seed: FixedSeedSampling.Seed, (reply, id, seq, data) =>
        {
            var type = reply ? Icmpv4Type.EchoReply : Icmpv4Type.EchoRequest;
            var buffer = new byte[8 + data.Length];
            Assert.Equal(buffer.Length, Icmpv4Message.WriteEcho(buffer, type, id, seq, data));
            Assert.True(Icmpv4Message.TryParse(buffer, out var m, out var reason), reason.ToString());
            Assert.Equal((type, (byte)0, id, seq), (m.Type, m.Code, m.Identifier, m.SequenceNumber));
            Assert.Equal(data, m.Body.ToArray());
        }, iter: 1000);
    }

    [Fact]
    public void Icmpv6_echo_survives_write_and_parse()
    {
        Gen.Select(GenIpv6, GenIpv6, Gen.UShort, Gen.UShort, Gen.Byte.Array[0, 200]).Sample(seed: FixedSeedSampling.Seed, (src, dst, id, seq, data) =>
        {
            var buffer = new byte[8 + data.Length];
            Icmpv6Message.WriteEcho(buffer, src, dst, Icmpv6Type.EchoRequest, id, seq, data);
            Assert.True(Icmpv6Message.TryParse(buffer, src, dst, out var m, out var reason), reason.ToString());
            Assert.Equal((Icmpv6Type.EchoRequest, id, seq), (m.Type, m.Identifier, m.SequenceNumber));
            Assert.Equal(data, m.Body.ToArray());
        }, iter: 1000);
    }

    [Fact]
    public void Arp_survives_write_and_parse()
    {
        Gen.Select(Gen.Bool, GenMac, GenIpv4, GenMac, GenIpv4).Sample(seed: FixedSeedSampling.Seed, (reply, sm, si, tm, ti) =>
        {
            var op = reply ? ArpOperation.Reply : ArpOperation.Request;
            var buffer = new byte[ArpPacket.Length];
            ArpPacket.Write(buffer, op, sm, si, tm, ti);
            Assert.True(ArpPacket.TryParse(buffer, out var arp, out var reason), reason.ToString());
            Assert.Equal((op, sm, si, tm, ti), (arp.Operation, arp.SenderMac, arp.SenderIp, arp.TargetMac, arp.TargetIp));
        }, iter: 1000);
    }

    [Fact]
    public void Neighbor_advertisement_survives_write_and_parse()
    {
        Gen.Select(GenIpv6.Where(a => !a.IsMulticast), Gen.Bool, Gen.Bool, Gen.Bool, Gen.Bool, GenMac)
            .Sample(seed: FixedSeedSampling.Seed, (target, r, s, o, withMac, m) =>
            {
                MacAddress? mac = withMac ? m : null;
                var buffer = new byte[32];
                int n = NdpWriter.WriteNeighborAdvertisement(buffer, target, r, s, o, mac);
                Assert.True(NdpMessage.TryParse(buffer.AsSpan(0, n), out var na, out var reason), reason.ToString());
                Assert.Equal((target, r, s, o), (na.Target, na.RouterFlag, na.SolicitedFlag, na.OverrideFlag));
                Assert.Equal(mac.HasValue, na.TryGetTargetLinkLayer(out var got));
                if (mac.HasValue)
                    Assert.Equal(mac.Value, got);
            }, iter: 1000);
    }
}
