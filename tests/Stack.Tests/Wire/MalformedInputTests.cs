using CsCheck;
using Stack.IP.Wire;
using Stack.Link.Diagnostics;
using Stack.Link.Wire;
using static Stack.Tests.Wire.Trace;

namespace Stack.Tests.Wire;

/// <summary>Every prefix and random corruption of a valid packet: rejected with a reason, never an exception.</summary>
public sealed class MalformedInputTests
{
    /// <summary>A parser under test: the packet in, (accepted, reason) out.</summary>
    public delegate (bool Ok, RejectReason Reason) Parser(byte[] bytes);

    public static TheoryData<string> Kinds => new(Samples.Keys);

    private static readonly Ipv6Address LinkLocalA = Ipv6Address.LinkLocalFromMac(MacA);

    /// <summary>
    /// Each kind: a valid sample, its parser, the reasons a prefix may give besides Truncated, and the prefix
    /// lengths that are themselves complete (an NDP message cut between options is a shorter valid message).
    /// </summary>
    private static readonly Dictionary<string, (byte[] Valid, Parser Parse, RejectReason[] PrefixReasons, int[] CompleteAt)> Samples = new()
    {
        ["arp"] = (Arp(), b => (ArpPacket.TryParse(b, out _, out var r), r), [], []),
        // A cut IPv4 datagram loses bytes its total length and IHL promise.
        ["ipv4"] = (Ipv4Echo(options: [0x01, 0x94, 0x04, 0x00, 0x00]), b => (Ipv4Header.TryParse(b, out _, out var r), r),
            [RejectReason.BadHeaderLength, RejectReason.BadTotalLength], []),
        ["icmpv4"] = (Ipv4Echo()[20..], b => (Icmpv4Message.TryParse(b, out _, out var r), r), [RejectReason.BadChecksum], []),
        ["ipv6"] = (Ipv6Echo(), b => (Ipv6Header.TryParse(b, out _, out var r), r), [RejectReason.BadTotalLength], []),
        ["icmpv6"] = (Ipv6Echo()[40..], b => (Icmpv6Message.TryParse(b, Host6A, Host6B, out _, out var r), r),
            [RejectReason.BadChecksum], []),
        ["ipv6-fragment"] = (new byte[] { 17, 0, 0x05, 0xA9, 1, 2, 3, 4 },
            b => (Ipv6FragmentHeader.TryParse(b, out _, out var r), r), [], []),
        ["ipv6-chain"] = (Concat(OptionsHeader(IpProtocol.Ipv6Routing, 0x05), Extension(IpProtocol.Ipv6Fragment, 0, 0, 0, 0, 0, 0),
                new byte[] { 17, 0, 0, 0, 1, 2, 3, 4 }),
            b => (Ipv6Chain.TryWalk(b, IpProtocol.HopByHop, false, out _, out var r, out _, out _), r),
            [RejectReason.BadOption], []), // a cut inside the hop-by-hop options leaves an option overrunning the data
        // A cut NDP message leaves an option overrunning the message (the checksum would catch it first in real life).
        ["ndp-ns"] = (NeighborSolicitation(), b => (NdpMessage.TryParse(b, out _, out var r), r), [RejectReason.BadOption], [24]),
        ["ndp-ra"] = (NdpTests.RouterAdvertisement(), b => (NdpMessage.TryParse(b, out _, out var r), r), [RejectReason.BadOption],
            [16, 24, 56, 80, 112]),
    };

    [Theory]
    [MemberData(nameof(Kinds))]
    public void The_sample_itself_parses(string kind)
    {
        var (valid, parse, _, _) = Samples[kind];
        var (ok, reason) = parse(valid);
        Assert.True(ok, $"{kind}: {reason}");
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Every_proper_prefix_is_rejected_as_truncated_or_a_documented_reason(string kind)
    {
        var (valid, parse, allowed, completeAt) = Samples[kind];
        for (int n = 0; n < valid.Length; n++)
        {
            var (ok, reason) = parse(valid[..n]);
            if (completeAt.Contains(n))
            {
                Assert.True(ok, $"{kind}: prefix of {n} bytes should be complete, got {reason}");
                continue;
            }
            Assert.False(ok, $"{kind}: prefix of {n} bytes was accepted");
            Assert.True(reason == RejectReason.Truncated || allowed.Contains(reason), $"{kind}: prefix {n} gave {reason}");
        }
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Random_mutations_never_throw_and_always_give_a_reason(string kind)
    {
        var (valid, parse, _, _) = Samples[kind];
        var mutation = Gen.Select(Gen.Int[0, valid.Length - 1], Gen.Byte, Gen.Int[1, 4], Gen.Int[0, valid.Length + 8]).Array[1, 4];
        mutation.Sample(seed: FixedSeedSampling.Seed, edits =>
        {
            var bytes = valid.ToArray();
            foreach (var (at, value, _, _) in edits)
                bytes[at] = value;
            int length = edits[^1].Item3 == 1 ? Math.Min(edits[^1].Item4, bytes.Length) : bytes.Length;
            var (ok, reason) = parse(bytes[..length]);
            Assert.True(ok == (reason == RejectReason.None), $"{kind}: ok={ok} reason={reason}");
        }, iter: 3000);
    }

    [Fact]
    public void Random_bytes_never_throw_anywhere()
    {
        Gen.Byte.Array[0, 120].Sample(seed: FixedSeedSampling.Seed, bytes =>
        {
            foreach (var (_, parse, _, _) in Samples.Values)
            {
                var (ok, reason) = parse(bytes);
                Assert.True(ok == (reason == RejectReason.None));
            }
            // The accessors of an accepted view stay inside the buffer too.
            if (Ipv4Header.TryParse(bytes, out var ip, out _))
                _ = (ip.Options.Length, ip.Payload.Length, ip.FragmentOffset, ip.Source);
            if (NdpMessage.TryParse(bytes, out var ndp, out _))
            {
                _ = (ndp.Target, ndp.RetransTimer, ndp.TryGetMtu(out _), ndp.TryGetSourceLinkLayer(out _));
                foreach (var p in ndp.Prefixes)
                    _ = p.Prefix;
            }
        }, iter: 20000);
    }

    [Fact]
    public void A_router_solicitations_fixed_fields_of_other_types_read_as_zero()
    {
        // CsCheck seed 0pacgMrb0mn2 of Random_bytes_never_throw_anywhere (issue 12): Target read past an
        // 8-byte router solicitation.
        byte[] rs = [133, 0, 0, 0, 0, 0, 0, 0];
        Assert.True(NdpMessage.TryParse(rs, out var ndp, out _));
        Assert.Equal(default, ndp.Target);
        Assert.Equal(0u, ndp.RetransTimer);
        Assert.False(ndp.RouterFlag);
    }

    private static byte[] NeighborSolicitation()
    {
        var icmp = new byte[32];
        NdpWriter.WriteNeighborSolicitation(icmp, LinkLocalA, MacA);
        return icmp;
    }
}
