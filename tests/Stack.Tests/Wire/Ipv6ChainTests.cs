using Stack.IP.Wire;
using Stack.Link.Diagnostics;
using static Stack.Tests.Wire.Trace;

namespace Stack.Tests.Wire;

/// <summary>RFC 8200 §4: each test is one IPv6 payload, written header by header.</summary>
public sealed class Ipv6ChainTests
{
    private static readonly byte[] Udp8 = new byte[8];

    [Fact]
    public void No_extension_headers_goes_straight_to_udp()
    {
        var chain = Walk(IpProtocol.Udp, Udp8);
        Assert.Equal(new Ipv6Chain(IpProtocol.Udp, 0, -1, 0), chain);
    }

    [Fact]
    public void Hop_by_hop_router_alert_then_destination_options_then_tcp()
    {
        var payload = Concat(
            OptionsHeader(IpProtocol.Ipv6DestinationOptions, 0x05, 2), // router alert: action 00, skip
            OptionsHeader(IpProtocol.Tcp, 0x1E, 4), // unknown, action 00: skip
            new byte[20]);
        var chain = Walk(IpProtocol.HopByHop, payload);
        Assert.Equal(new Ipv6Chain(IpProtocol.Tcp, 16, -1, 8) { NextHeaderPointer = 48, RouterAlert = 0 }, chain);
    }

    [Fact]
    public void Routing_header_with_no_segments_left_is_skipped_and_unfragmentable()
    {
        var payload = Concat(
            Extension(IpProtocol.Ipv6Routing, 0, 0, 0, 0, 0, 0), // destination options (six Pad1) for the route
            Extension(IpProtocol.Ipv6DestinationOptions, 4, 0, 0, 0, 0, 0), // routing type 4, segments left 0
            Extension(IpProtocol.Udp, 0, 0, 0, 0, 0, 0), // destination options for the final destination
            Udp8);
        var chain = Walk(IpProtocol.Ipv6DestinationOptions, payload);
        Assert.Equal(new Ipv6Chain(IpProtocol.Udp, 24, -1, 16) { NextHeaderPointer = 56 }, chain);
    }

    [Fact]
    public void Atomic_fragment_is_walked_through()
    {
        var payload = Concat(Fragment(IpProtocol.Udp, offset: 0, more: false), Udp8);
        var chain = Walk(IpProtocol.Ipv6Fragment, payload);
        Assert.Equal(new Ipv6Chain(IpProtocol.Udp, 8, 0, 0) { NextHeaderPointer = 40 }, chain);
    }

    [Fact]
    public void Later_fragment_stops_the_walk_at_its_next_header()
    {
        var payload = Concat(
            OptionsHeader(IpProtocol.Ipv6Fragment, 0x05),
            Fragment(IpProtocol.Ipv6DestinationOptions, offset: 1448, more: true),
            new byte[3]); // not a header at all: unparseable until reassembly
        var chain = Walk(IpProtocol.HopByHop, payload);
        Assert.Equal(new Ipv6Chain(IpProtocol.Ipv6DestinationOptions, 16, 8, 8) { NextHeaderPointer = 48 }, chain);
    }

    [Fact]
    public void Hop_by_hop_not_first_is_an_unrecognized_next_header()
    {
        var payload = Concat(OptionsHeader(IpProtocol.HopByHop, 0x05), OptionsHeader(IpProtocol.Udp, 0x05), Udp8);
        AssertRejected(IpProtocol.Ipv6DestinationOptions, payload, RejectReason.BadField,
            pointer: 40, code: Icmpv6Code.UnrecognizedNextHeader);
    }

    [Fact]
    public void Hop_by_hop_not_first_after_a_fragment_points_at_the_fragment_next_header()
    {
        var payload = Concat(Fragment(IpProtocol.HopByHop, 0, false), OptionsHeader(IpProtocol.Udp, 0x05), Udp8);
        AssertRejected(IpProtocol.Ipv6Fragment, payload, RejectReason.BadField,
            pointer: 40, code: Icmpv6Code.UnrecognizedNextHeader);
    }

    [Theory]
    [InlineData(0x1E, false)] // 00: skip
    [InlineData(0x5E, false)] // 01: discard silently
    [InlineData(0x9E, false)] // 10: discard, report
    [InlineData(0x9E, true)] //  10: report even to multicast
    [InlineData(0xDE, false)] // 11: discard, report
    [InlineData(0xDE, true)] //  11: discard silently when multicast
    public void Unknown_option_follows_its_action_bits(byte optionType, bool multicast)
    {
        var payload = Concat(OptionsHeader(IpProtocol.Ipv6DestinationOptions, 0x05),
            OptionsHeader(IpProtocol.Udp, optionType), Udp8);
        bool ok = Ipv6Chain.TryWalk(payload, IpProtocol.HopByHop, multicast, out var chain, out var reason,
            out int pointer, out byte code);
        switch (optionType >> 6)
        {
            case 0:
                Assert.True(ok);
                Assert.Equal(IpProtocol.Udp, chain.UpperProtocol);
                Assert.Equal(-1, pointer);
                break;
            case 1:
                Assert.False(ok);
                Assert.Equal((RejectReason.BadOption, -1), (reason, pointer));
                break;
            default:
                bool report = optionType >> 6 == 2 || !multicast;
                Assert.False(ok);
                Assert.Equal(RejectReason.BadOption, reason);
                // IPv6 header 40 + hop-by-hop 8 + the option at byte 2 of the destination options header.
                Assert.Equal(report ? 50 : -1, pointer);
                if (report)
                    Assert.Equal(Icmpv6Code.UnrecognizedOption, code);
                break;
        }
    }

    [Fact]
    public void Option_overrunning_its_header_is_dropped_silently()
    {
        var header = Extension(IpProtocol.Udp, 0x1E, 9, 0, 0, 0, 0); // 9 bytes of data in a 6-byte area
        AssertRejected(IpProtocol.Ipv6DestinationOptions, Concat(header, Udp8), RejectReason.BadOption, -1, 0);
    }

    [Fact]
    public void Routing_header_with_segments_left_points_at_the_routing_type()
    {
        var payload = Concat(Extension(IpProtocol.Udp, 4, 2, 0, 0, 0, 0), Udp8); // type 4, segments left 2
        AssertRejected(IpProtocol.Ipv6Routing, payload, RejectReason.BadField,
            pointer: 42, code: Icmpv6Code.ErroneousHeaderField);
    }

    [Fact]
    public void Eight_extension_headers_are_fine_nine_are_too_many()
    {
        Assert.True(Ipv6Chain.TryWalk(DestinationOptionsChain(8), IpProtocol.Ipv6DestinationOptions, false,
            out var chain, out _, out _, out _));
        Assert.Equal(IpProtocol.Udp, chain.UpperProtocol);
        AssertRejected(IpProtocol.Ipv6DestinationOptions, DestinationOptionsChain(9),
            RejectReason.ExtensionChainTooLong, -1, 0);
    }

    [Fact]
    public void Header_running_past_the_payload_is_truncated()
    {
        var payload = Extension(IpProtocol.Udp, new byte[14]); // 16 bytes
        AssertRejected(IpProtocol.Ipv6DestinationOptions, payload[..12], RejectReason.Truncated, -1, 0);
        AssertRejected(IpProtocol.Ipv6Fragment, new byte[7], RejectReason.Truncated, -1, 0);
        AssertRejected(IpProtocol.HopByHop, [], RejectReason.Truncated, -1, 0);
    }

    private static byte[] DestinationOptionsChain(int count) => Concat(
        [.. Enumerable.Range(0, count).Select(i =>
            Extension(i == count - 1 ? IpProtocol.Udp : IpProtocol.Ipv6DestinationOptions, new byte[6])),
        Udp8]);

    private static byte[] Fragment(IpProtocol next, int offset, bool more)
    {
        var header = new byte[Ipv6FragmentHeader.Length];
        Ipv6FragmentHeader.Write(header, next, offset, more, 0x01020304);
        return header;
    }

    private static Ipv6Chain Walk(IpProtocol first, byte[] payload)
    {
        Assert.True(Ipv6Chain.TryWalk(payload, first, false, out var chain, out var reason, out int pointer, out _),
            reason.ToString());
        Assert.Equal(-1, pointer);
        return chain;
    }

    private static void AssertRejected(IpProtocol first, byte[] payload, RejectReason expected, int pointer, byte code)
    {
        Assert.False(Ipv6Chain.TryWalk(payload, first, false, out _, out var reason, out int p, out byte c));
        Assert.Equal((expected, pointer, code), (reason, p, c));
    }
}
