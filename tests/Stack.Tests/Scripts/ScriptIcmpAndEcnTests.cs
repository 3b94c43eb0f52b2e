using Stack.Scripting;
using Stack.Tcp.Wire;

namespace Stack.Tests.Scripts;

/// <summary>packetdrill's IP clauses (<c>[ect0]</c>...) and inbound ICMP lines: how they parse and resolve.</summary>
public sealed class ScriptIcmpAndEcnTests
{
    private static ScriptEvent Single(string line) => Assert.Single(ScriptParser.Parse(line).Events);

    [Theory]
    [InlineData("+0 < [noecn] . 1:1(0) ack 1 win 10", ScriptTosCheck.Ecn, 0)]
    [InlineData("+0 < [ect1] . 1:1(0) ack 1 win 10", ScriptTosCheck.Ecn, 1)]
    [InlineData("+0 < [ect0] . 1:1(0) ack 1 win 10", ScriptTosCheck.Ecn, 2)]
    [InlineData("+0 < (ce) . 1:1(0) ack 1 win 10", ScriptTosCheck.Ecn, 3)]
    [InlineData("+0 > [ect01] P. 1:11(10) ack 1", ScriptTosCheck.EcnEct01, 0)]
    [InlineData("+0 > [tos 0x2e] P. 1:11(10) ack 1", ScriptTosCheck.Tos, 0x2e)]
    public void Ip_clauses_parse(string line, ScriptTosCheck check, int value)
    {
        var p = Assert.IsType<PacketEvent>(Single(line));
        Assert.Equal(new ScriptIpInfo(check, (byte)value), p.Ip);
        Assert.Equal(p.FormatAction(), Assert.IsType<PacketEvent>(Single("+0 " + p.FormatAction())).FormatAction());
    }

    [Theory]
    [InlineData("+0 < [ect01] . 1:1(0) ack 1 win 10")] // Outbound only, as packetdrill.
    [InlineData("+0 < [ect2] . 1:1(0) ack 1 win 10")]
    [InlineData("+0 < [ect0 . 1:1(0) ack 1 win 10")]
    [InlineData("+0 > icmp unreachable")]
    [InlineData("+0 < icmp unreachable [1:5(3)]")]
    [InlineData("+0 < icmp")]
    public void Bad_clauses_and_icmp_lines_are_parse_errors(string line) =>
        Assert.Throws<ScriptParseException>(() => ScriptParser.Parse(line));

    [Fact]
    public void Ecn_checks_look_at_the_low_two_bits_only()
    {
        var ect0 = new ScriptIpInfo(ScriptTosCheck.Ecn, 2);
        Assert.Null(ect0.Mismatch(0xB8 | 2));
        Assert.Equal("expected IP ECN ect0, got ce", ect0.Mismatch(3));
        var either = new ScriptIpInfo(ScriptTosCheck.EcnEct01, 0);
        Assert.Null(either.Mismatch(1));
        Assert.Null(either.Mismatch(2));
        Assert.NotNull(either.Mismatch(0));
        Assert.Null(default(ScriptIpInfo).Mismatch(3)); // No clause: not checked.
        Assert.Equal(0, default(ScriptIpInfo).TrafficClass);
    }

    [Fact]
    public void Icmp_lines_parse_with_and_without_the_quoted_segment()
    {
        var full = Assert.IsType<IcmpEvent>(Single("+.01 < icmp unreachable frag_needed mtu 1200 [1:1461(1460)]"));
        Assert.Equal(("unreachable", "frag_needed", 1200L), (full.Type, full.Code, full.Mtu));
        Assert.Equal((1u, 1460u, true), (full.QuotedSeq, full.QuotedPayload, full.QuotesSegment));
        Assert.Equal("< icmp unreachable frag_needed mtu 1200 [1:1461(1460)]", full.FormatAction());

        var bare = Assert.IsType<IcmpEvent>(Single("+0 < icmp unreachable CODE"));
        Assert.Equal(("unreachable", "CODE", (long?)null), (bare.Type, bare.Code, bare.Mtu));
        Assert.Equal((0u, 0u, false), (bare.QuotedSeq, bare.QuotedPayload, bare.QuotesSegment));

        var typeOnly = Assert.IsType<IcmpEvent>(Single("+0 < icmp packet_too_big mtu 1400 [0:1440(1440)]"));
        Assert.Null(typeOnly.Code);
    }

    [Theory]
    // Each family's own names.
    [InlineData("unreachable", "frag_needed", 1200L, false, 3, 4, 1200u)]
    [InlineData("unreachable", "host_unreachable", null, false, 3, 1, 0u)]
    [InlineData("unreachable", null, null, false, 3, 0, 0u)]
    [InlineData("unreachable", "CODE", null, false, 3, 1, 0u)] // run_all.py's -D CODE=host_unreachable
    [InlineData("time_exceeded", null, null, false, 11, 0, 0u)]
    [InlineData("packet_too_big", null, 1400L, true, 2, 0, 1400u)]
    [InlineData("unreachable", "address_unreachable", null, true, 1, 3, 0u)]
    [InlineData("type_42", "code_7", null, true, 42, 7, 0u)]
    // The other family's spelling carries over, too-big MTUs by the runner's 20-byte difference.
    [InlineData("unreachable", "frag_needed", 1200L, true, 2, 0, 1220u)]
    [InlineData("packet_too_big", null, 1420L, false, 3, 4, 1400u)]
    [InlineData("unreachable", "host_unreachable", null, true, 1, 3, 0u)]
    [InlineData("unreachable", "CODE", null, true, 1, 3, 0u)]
    [InlineData("unreachable", "address_unreachable", null, false, 3, 1, 0u)]
    [InlineData("unreachable", "protocol_unreachable", null, true, 4, 1, 0u)]
    public void Icmp_names_resolve_per_family(string type, string? code, long? mtu, bool ipv6, int wireType, int wireCode, uint rest)
    {
        var e = new IcmpEvent(1, ScriptTime.Relative(0), default, type, code, mtu, 0, 0, false);
        Assert.True(ScriptIcmp.TryResolve(e, ipv6, out var header, out string error), error);
        Assert.Equal(new ScriptIcmpHeader((byte)wireType, (byte)wireCode, rest), header);
    }

    [Theory]
    [InlineData("unreachable_ish", null, null)]
    [InlineData("unreachable", "nowhere", null)]
    [InlineData("time_exceeded", null, 1200L)] // An MTU only goes with a too-big error.
    [InlineData("unreachable", "frag_needed", 70000L)] // ICMPv4's field has 16 bits.
    public void Bad_icmp_names_and_mtus_are_refused(string type, string? code, long? mtu)
    {
        var e = new IcmpEvent(1, ScriptTime.Relative(0), default, type, code, mtu, 0, 0, false);
        Assert.False(ScriptIcmp.TryResolve(e, false, out _, out string error));
        Assert.NotEmpty(error);
    }

    [Fact]
    public void Md5_options_encode_as_kind_19_and_the_stack_sees_them()
    {
        var script = Assert.IsType<PacketEvent>(Single("+0 < . 1:1(0) ack 1 win 514 <md5 0102,nop,nop>"));
        var md5 = Assert.IsType<ScriptTcpOption.Md5>(script.Options[0]);
        Assert.Equal("md5 0102", md5.ToString());
        byte[] wire = ScriptTcpOption.Encode(script.Options);
        Assert.Equal(20, wire.Length);
        Assert.Equal([19, 18, 1, 2, 0], wire[..5]); // The digest is padded with zeros, as packetdrill's.
        Assert.True(ScriptTcpOption.TryDecode(wire, out var back));
        Assert.IsType<ScriptTcpOption.Md5>(back[0]);
        Assert.True(TcpOptions.TryParse(wire, out var parsed, out _));
        Assert.True(parsed.HasMd5Signature);
        wire[1] = 10; // Another length is not the MD5 option Linux looks for (tcp_parse_md5sig_option).
        Assert.True(TcpOptions.TryParse(wire.AsSpan(0, 10), out parsed, out _));
        Assert.False(parsed.HasMd5Signature);
    }
}
