using Stack.IP.Wire;
using Stack.Link.Diagnostics;
using static Stack.Tests.Wire.Trace;

namespace Stack.Tests.Wire;

public sealed class Icmpv6Tests
{
    [Fact]
    public void Echo_reply_id_7_seq_3_verifies_against_the_pseudo_header()
    {
        var buffer = new byte[32];
        int n = Icmpv6Message.WriteEcho(buffer, Host6B, Host6A, Icmpv6Type.EchoReply, 7, 3, Pattern(5));
        Assert.Equal(13, n);
        Assert.True(Icmpv6Message.TryParse(buffer.AsSpan(0, n), Host6B, Host6A, out var icmp, out var reason),
            reason.ToString());
        Assert.Equal(Icmpv6Type.EchoReply, icmp.Type);
        Assert.Equal(7, icmp.Identifier);
        Assert.Equal(3, icmp.SequenceNumber);
        Assert.Equal(Pattern(5), icmp.Body.ToArray());
        Assert.Equal(n, icmp.Message.Length);
        Assert.False(icmp.IsError);
    }

    [Fact]
    public void Checksum_covers_the_addresses()
    {
        var buffer = new byte[16];
        Icmpv6Message.WriteEcho(buffer, Host6A, Host6B, Icmpv6Type.EchoRequest, 1, 1, Pattern(8));
        Assert.True(Icmpv6Message.TryParse(buffer, Host6A, Host6B, out _, out _));
        Assert.False(Icmpv6Message.TryParse(buffer, Host6A, Host6A, out _, out var reason));
        Assert.Equal(RejectReason.BadChecksum, reason);
    }

    [Fact]
    public void Packet_too_big_mtu_1280()
    {
        var quoted = Ipv6Echo(dataLength: 32);
        var buffer = new byte[8 + quoted.Length];
        Icmpv6Message.WriteError(buffer, Host6B, Host6A, Icmpv6Type.PacketTooBig, 0, 1280, quoted);
        Assert.True(Icmpv6Message.TryParse(buffer, Host6B, Host6A, out var icmp, out _));
        Assert.True(icmp.IsError);
        Assert.Equal(1280u, icmp.Mtu);
        Assert.Equal(quoted, icmp.Body.ToArray());
    }

    [Fact]
    public void Parameter_problem_unrecognized_next_header_at_6()
    {
        var buffer = new byte[8];
        Icmpv6Message.WriteError(buffer, Host6B, Host6A, Icmpv6Type.ParameterProblem,
            Icmpv6Code.UnrecognizedNextHeader, 6, default);
        Assert.True(Icmpv6Message.TryParse(buffer, Host6B, Host6A, out var icmp, out _));
        Assert.Equal(Icmpv6Code.UnrecognizedNextHeader, icmp.Code);
        Assert.Equal(6u, icmp.Pointer);
    }

    [Fact]
    public void Short_message_is_truncated()
    {
        Assert.False(Icmpv6Message.TryParse(new byte[7], Host6A, Host6B, out _, out var reason));
        Assert.Equal(RejectReason.Truncated, reason);
    }
}
